// A causal 3D conv run one time step (one latent frame) at a time: im2col of the current input and the last
// kt-1 inputs (held in a fixed ring buffer, zeros at stream start), then a GEMM against the (K, cout) weight,
// band of image rows by band so the im2col band is still in cache when OpenBLAS packs it. 1x1x1 convs skip
// im2col. All memory is allocated at init for one frame size; the band split depends only on that size, so
// results never depend on how the stream is chunked.

final class CausalConv {
    let w: ConvWeights
    let h: Int
    let width: Int
    let ring: FloatBuffer?          // (kt-1, h, w, cin): past inputs, slot (head + i) % (kt-1) is i-th oldest
    private var head = 0
    private let sources: UnsafeMutablePointer<UnsafeMutablePointer<Float>>   // (kt,) frames for im2col, oldest first
    let scratch: FloatBuffer        // shared im2col matrix, at least (rowsPerChunk*w, K)
    let rowsPerChunk: Int           // image rows per im2col + GEMM chunk

    /// im2col works on bands of image rows of about this many bytes, so the band is still in cache when the
    /// GEMM packs it: 13-15% less CPU per frame than one whole-frame im2col at 256x256 (measured 1-8 MB).
    static let chunkBytes = 3 << 20

    static func rows(_ w: ConvWeights, h: Int, width: Int) -> Int {
        max(1, min(h, chunkBytes / max(1, width * w.k * 4)))
    }

    /// Scratch floats this conv needs at frame size (h, w).
    static func scratchCount(_ w: ConvWeights, h: Int, width: Int) -> Int {
        (w.kt == 1 && w.ks == 1) ? 0 : rows(w, h: h, width: width) * width * w.k
    }

    init(_ w: ConvWeights, h: Int, width: Int, scratch: FloatBuffer) {
        self.w = w
        self.h = h
        self.width = width
        self.scratch = scratch
        rowsPerChunk = Self.rows(w, h: h, width: width)
        let ring = w.kt > 1 ? FloatBuffer(count: (w.kt - 1) * h * width * w.cin) : nil
        self.ring = ring
        sources = .allocate(capacity: w.kt)
        sources.initialize(repeating: ring?.data ?? scratch.data, count: w.kt)
    }

    deinit { sources.deallocate() }

    func reset() {
        ring?.zero()
        head = 0
    }

    /// out (h, w, cout) = conv(x (h, w, cin) and the past) + bias (+ residual (h, w, cout)).
    func forward(_ x: Frame, into out: Frame, residual: Frame? = nil) {
        let n = h * width
        Elementwise.fillRows(out.data, rows: n, width: w.cout, bias: w.bias.data, residual: residual?.data)
        if w.kt == 1 && w.ks == 1 {
            Blas.gemm(m: n, n: w.cout, k: w.cin, a: x.data, b: w.weight.data, c: out.data, beta: 1)
        } else {
            setSources(x)
            var y0 = 0
            while y0 < h {
                let y1 = min(h, y0 + rowsPerChunk)
                im2col(rows: y0..<y1)
                Blas.gemm(m: (y1 - y0) * width, n: w.cout, k: w.k, a: scratch.data, b: w.weight.data,
                          c: out.data + y0 * width * w.cout, beta: 1)
                y0 = y1
            }
        }
        if let ring {
            let frame = n * w.cin
            (ring.data + head * frame).update(from: x.data, count: frame)
            head = (head + 1) % (w.kt - 1)
        }
    }

    /// The kt input frames of this step, oldest first: kt-1 from the ring, then x.
    private func setSources(_ x: Frame) {
        let kt = w.kt, frameSize = h * width * w.cin
        if let ring {
            for i in 0..<(kt - 1) { sources[i] = ring.data + ((head + i) % (kt - 1)) * frameSize }
        }
        sources[kt - 1] = x.data
    }

    /// scratch (rows*w, K) rows = (dt, dy, dx, ci) patches for output rows `rows`; dt = kt-1 is the current frame.
    private func im2col(rows: Range<Int>) {
        let kt = w.kt, ks = w.ks, cin = w.cin, k = w.k, pad = ks / 2
        let h = self.h, width = self.width, dst = scratch.data, src = sources, y0 = rows.lowerBound
        Parallel.forEach(rows.count * width) { pos in
            let y = y0 + pos / width, x = pos % width
            var row = dst + pos * k
            for dt in 0..<kt {
                let frame = src[dt]
                for dy in 0..<ks {
                    let iy = y + dy - pad
                    for dx in 0..<ks {
                        let ix = x + dx - pad
                        if iy >= 0 && iy < h && ix >= 0 && ix < width {
                            row.update(from: frame + (iy * width + ix) * cin, count: cin)
                        } else {
                            row.update(repeating: 0, count: cin)
                        }
                        row += cin
                    }
                }
            }
        }
    }
}
