// A causal (kt, 3, 3) conv by Winograd F(2x2, 3x3): 16 multiplies per 2x2 output tile and input channel instead
// of 36, so 2.25x fewer multiply-adds than direct convolution (Lavin & Gray, arXiv 1509.09308; the scheme of
// NNPACK, ncnn and oneDNN's AVX-512 kernels). Per band of tile rows:
//
//   input transform   V[xi] (P, K)   = B^T d B of each 4x4 input patch (stride 2), for every temporal tap:
//                                      K = kt*cin, column dt*cin + ci; taps come from the ConvHistory
//   16 GEMMs          M[xi] (P, cout) = V[xi] (P, K) x U[xi] (K, cout)     (sgemm of the backend's library)
//   output transform  y (2x2)         = A^T m A of each tile, + bias (+ residual), cropped at the frame edge
//
// U (16, K, cout) = G g G^T of every 3x3 kernel, computed once at init. The band split depends on the frame size
// only, and every GEMM row is one tile whatever the worker count, so results are bit-identical for any thread
// count or chunking; they differ from direct convolution in the last bits (F(2x2,3x3) is numerically mild:
// parity tests hold it to the same tolerances against PyTorch).

final class WinogradConv: CausalConvolution {
    let w: ConvWeights
    let h: Int
    let width: Int
    let library: GemmLibrary
    let history: ConvHistory
    let tileRows: Int                   // ceil(h / 2)
    let tileCols: Int                   // ceil(width / 2)
    let tileRowsPerBand: Int
    private let u: FloatBuffer          // (16, K, cout)
    private let v: [FloatBuffer]        // per worker (16, tileRowsPerBand * tileCols, K)
    private let m: [FloatBuffer]        // per worker (16, tileRowsPerBand * tileCols, cout)
    private let zeros: FloatBuffer      // (cin,) the padding outside the frame
    private let sources: UnsafeMutablePointer<UnsafeMutablePointer<Float>>   // (kt,) input frames, oldest first
    /// GEMM depth: kt * cin (not ConvWeights.k, the im2col depth kt*3*3*cin).
    let k: Int

    /// Tile rows per band: about 2 MB of transformed input per band (V stays in L2 while the GEMMs read it),
    /// at least 4 bands when the frame has 4 tile rows. Depends on the frame size only.
    static func tileRows(_ w: ConvWeights, h: Int, width: Int) -> Int {
        let rows = (h + 1) / 2, cols = (width + 1) / 2
        let byBytes = max(1, (2 << 20) / max(1, 16 * cols * w.kt * w.cin * 4))
        let bands = max((rows + byBytes - 1) / byBytes, min(rows, 4))
        return max(1, (rows + bands - 1) / bands)
    }

    init(_ w: ConvWeights, h: Int, width: Int, library: GemmLibrary, workers: Int) {
        precondition(w.ks == 3, "Winograd F(2x2,3x3) needs a 3x3 kernel")
        self.w = w
        self.h = h
        self.width = width
        self.library = library
        k = w.kt * w.cin
        history = ConvHistory(kt: w.kt, frameCount: h * width * w.cin)
        tileRows = (h + 1) / 2
        tileCols = (width + 1) / 2
        tileRowsPerBand = Self.tileRows(w, h: h, width: width)
        let p = tileRowsPerBand * tileCols
        u = Self.transformWeights(w)
        v = (0..<max(1, workers)).map { _ in FloatBuffer(count: 16 * p * w.kt * w.cin) }
        m = (0..<max(1, workers)).map { _ in FloatBuffer(count: 16 * p * w.cout) }
        zeros = FloatBuffer(count: w.cin)
        sources = .allocate(capacity: w.kt)
        sources.initialize(repeating: zeros.data, count: w.kt)
    }

    deinit { sources.deallocate() }

    func reset() { history.reset() }

    /// U[xi][k][co] = (G g G^T)[xi] for g = weight[dt, :, :, ci, co], k = dt*cin + ci;
    /// G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]].
    static func transformWeights(_ w: ConvWeights) -> FloatBuffer {
        let k = w.kt * w.cin, cout = w.cout, cin = w.cin
        let out = FloatBuffer(count: 16 * k * cout)
        let g = w.weight.data                                      // (kt, 3, 3, cin, cout)
        let t = UnsafeMutablePointer<Float>.allocate(capacity: 12 * cout)   // (4, 3, cout) G g
        defer { t.deallocate() }
        for dt in 0..<w.kt {
            for ci in 0..<cin {
                let tap = { (ky: Int, kx: Int) in g + ((dt * 9 + ky * 3 + kx) * cin + ci) * cout }
                for j in 0..<3 {
                    let a = tap(0, j), b = tap(1, j), c = tap(2, j)
                    for co in 0..<cout {
                        t[j * cout + co] = a[co]
                        t[(3 + j) * cout + co] = 0.5 * (a[co] + b[co] + c[co])
                        t[(6 + j) * cout + co] = 0.5 * (a[co] - b[co] + c[co])
                        t[(9 + j) * cout + co] = c[co]
                    }
                }
                let row = dt * cin + ci
                for i in 0..<4 {
                    let a = t + (i * 3) * cout, b = a + cout, c = a + 2 * cout
                    let u0 = out.data + ((i * 4) * k + row) * cout, u1 = u0 + k * cout
                    let u2 = u0 + 2 * k * cout, u3 = u0 + 3 * k * cout
                    for co in 0..<cout {
                        u0[co] = a[co]
                        u1[co] = 0.5 * (a[co] + b[co] + c[co])
                        u2[co] = 0.5 * (a[co] - b[co] + c[co])
                        u3[co] = c[co]
                    }
                }
            }
        }
        return out
    }

    func forward(_ x: Frame, into out: Frame, residual: Frame?) {
        for dt in 0..<w.kt { sources[dt] = history.frame(dt, current: x.data) }
        let bands = (tileRows + tileRowsPerBand - 1) / tileRowsPerBand
        Parallel.forEachDynamic(bands, workers: v.count) { band, worker in
            let r0 = band * tileRowsPerBand, r1 = min(tileRows, r0 + tileRowsPerBand)
            let p = (r1 - r0) * tileCols
            let vb = v[worker].data, mb = m[worker].data
            inputTransform(tileRows: r0..<r1, into: vb, stride: p * k)
            for xi in 0..<16 {
                Gemm.run(library, m: p, n: w.cout, k: k, a: vb + xi * p * k, b: u.data + xi * k * w.cout,
                         c: mb + xi * p * w.cout, beta: 0)
            }
            outputTransform(tileRows: r0..<r1, from: mb, stride: p * w.cout, into: out, residual: residual)
        }
        history.push(x.data)
    }

    /// V[xi][tile][dt*cin + ci] = (B^T d B)[xi], d the 4x4 patch of tap dt around the tile;
    /// B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]. The inner loops run along channels,
    /// contiguous in both the input (channels-last) and V, so they vectorise.
    private func inputTransform(tileRows rows: Range<Int>, into vb: UnsafeMutablePointer<Float>, stride: Int) {
        let cin = w.cin, k = self.k
        let d = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 16)
        defer { d.deallocate() }
        let t = UnsafeMutablePointer<Float>.allocate(capacity: 16 * cin)     // (16, cin) B^T d, row-major
        defer { t.deallocate() }
        var tile = 0
        for ty in rows {
            for tx in 0..<tileCols {
                for dt in 0..<w.kt {
                    let frame = sources[dt]
                    for i in 0..<4 {
                        let iy = 2 * ty - 1 + i
                        for j in 0..<4 {
                            let ix = 2 * tx - 1 + j
                            d[i * 4 + j] = iy >= 0 && iy < h && ix >= 0 && ix < width
                                ? UnsafePointer(frame + (iy * width + ix) * cin) : UnsafePointer(zeros.data)
                        }
                    }
                    // t = B^T d: row i of t from rows of d, per column j
                    for j in 0..<4 {
                        let d0 = d[j], d1 = d[4 + j], d2 = d[8 + j], d3 = d[12 + j]
                        let t0 = t + j * cin, t1 = t + (4 + j) * cin, t2 = t + (8 + j) * cin, t3 = t + (12 + j) * cin
                        for c in 0..<cin {
                            t0[c] = d0[c] - d2[c]
                            t1[c] = d1[c] + d2[c]
                            t2[c] = d2[c] - d1[c]
                            t3[c] = d1[c] - d3[c]
                        }
                    }
                    // v = t B: columns of each row i
                    let base = vb + tile * k + dt * cin
                    for i in 0..<4 {
                        let a0 = t + (i * 4) * cin, a1 = a0 + cin, a2 = a0 + 2 * cin, a3 = a0 + 3 * cin
                        let o0 = base + (i * 4) * stride, o1 = o0 + stride, o2 = o0 + 2 * stride, o3 = o0 + 3 * stride
                        for c in 0..<cin {
                            o0[c] = a0[c] - a2[c]
                            o1[c] = a1[c] + a2[c]
                            o2[c] = a2[c] - a1[c]
                            o3[c] = a1[c] - a3[c]
                        }
                    }
                }
                tile += 1
            }
        }
    }

    /// y = A^T m A per tile, A^T = [[1, 1, 1, 0], [0, 1, -1, -1]], plus bias and residual; rows and columns
    /// past the frame (odd sizes) are dropped. Vectorised along output channels.
    private func outputTransform(tileRows rows: Range<Int>, from mb: UnsafeMutablePointer<Float>, stride: Int,
                                 into out: Frame, residual: Frame?) {
        let cout = w.cout, bias = w.bias.data
        let s = UnsafeMutablePointer<Float>.allocate(capacity: 8 * cout)      // (2, 4, cout) A^T m
        defer { s.deallocate() }
        let y = UnsafeMutablePointer<Float>.allocate(capacity: 4 * cout)      // (2, 2, cout)
        defer { y.deallocate() }
        var tile = 0
        for ty in rows {
            for tx in 0..<tileCols {
                let src = mb + tile * cout
                for j in 0..<4 {
                    let m0 = src + j * stride, m1 = src + (4 + j) * stride
                    let m2 = src + (8 + j) * stride, m3 = src + (12 + j) * stride
                    let s0 = s + j * cout, s1 = s + (4 + j) * cout
                    for c in 0..<cout {
                        s0[c] = m0[c] + m1[c] + m2[c]
                        s1[c] = m1[c] - m2[c] - m3[c]
                    }
                }
                for i in 0..<2 {
                    let a0 = s + (i * 4) * cout, a1 = a0 + cout, a2 = a0 + 2 * cout, a3 = a0 + 3 * cout
                    let y0 = y + (i * 2) * cout, y1 = y0 + cout
                    for c in 0..<cout {
                        y0[c] = a0[c] + a1[c] + a2[c] + bias[c]
                        y1[c] = a1[c] - a2[c] - a3[c] + bias[c]
                    }
                }
                for i in 0..<2 {
                    let oy = 2 * ty + i
                    guard oy < h else { continue }
                    for j in 0..<2 {
                        let ox = 2 * tx + j
                        guard ox < width else { continue }
                        let o = out.data + (oy * width + ox) * cout, v = y + (i * 2 + j) * cout
                        if let r = residual {
                            let rr = r.data + (oy * width + ox) * cout
                            for c in 0..<cout { o[c] = v[c] + rr[c] }
                        } else {
                            o.update(from: v, count: cout)
                        }
                    }
                }
                tile += 1
            }
        }
    }
}
