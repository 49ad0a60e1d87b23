// A causal 3D conv run one time step (one latent frame) at a time: im2col of the current input and the last
// kt-1 inputs (held in a fixed ring buffer, zeros at stream start), then one GEMM against the (K, cout) weight.
// 1x1x1 convs skip im2col. All memory is allocated at init for one frame size.

import Foundation

final class CausalConv {
    let w: ConvWeights
    let h: Int
    let width: Int
    let ring: FloatBuffer?          // (kt-1, h, w, cin): past inputs, slot (head + i) % (kt-1) is i-th oldest
    private var head = 0
    private let sources: UnsafeMutablePointer<UnsafeMutablePointer<Float>>   // (kt,) frames for im2col, oldest first
    let scratch: FloatBuffer        // shared im2col matrix, at least (h*w, K)

    /// Scratch floats this conv needs at frame size (h, w).
    static func scratchCount(_ w: ConvWeights, h: Int, width: Int) -> Int {
        (w.kt == 1 && w.ks == 1) ? 0 : h * width * w.k
    }

    init(_ w: ConvWeights, h: Int, width: Int, scratch: FloatBuffer) {
        self.w = w
        self.h = h
        self.width = width
        self.scratch = scratch
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
            im2col(x)
            Blas.gemm(m: n, n: w.cout, k: w.k, a: scratch.data, b: w.weight.data, c: out.data, beta: 1)
        }
        if let ring {
            let frame = n * w.cin
            (ring.data + head * frame).update(from: x.data, count: frame)
            head = (head + 1) % (w.kt - 1)
        }
    }

    /// scratch (h*w, K) rows = (dt, dy, dx, ci) patches; dt = kt-1 is the current frame.
    private func im2col(_ x: Frame) {
        let kt = w.kt, ks = w.ks, cin = w.cin, k = w.k, pad = ks / 2
        let frameSize = h * width * cin
        if let ring {
            for i in 0..<(kt - 1) { sources[i] = ring.data + ((head + i) % (kt - 1)) * frameSize }
        }
        sources[kt - 1] = x.data
        let h = self.h, width = self.width, dst = scratch.data, src = sources
        do {
            Parallel.forEach(h) { y in
                for xx in 0..<width {
                    var row = dst + (y * width + xx) * k
                    for dt in 0..<kt {
                        let frame = src[dt]
                        for dy in 0..<ks {
                            let iy = y + dy - pad
                            for dx in 0..<ks {
                                let ix = xx + dx - pad
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
    }
}
