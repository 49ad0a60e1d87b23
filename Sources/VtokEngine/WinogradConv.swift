// A causal (kt, 3, 3) conv by Winograd F(m x m, 3x3), m = 2 or 4 (WinogradTile): alpha^2 = (m+2)^2 multiplies
// per m x m output tile and input channel instead of 9 m^2 (2.25x fewer for F(2x2), 4x for F(4x4); Lavin & Gray,
// arXiv 1509.09308; the scheme of NNPACK, ncnn and oneDNN's AVX-512 kernels). Per band of tile rows:
//
//   input transform   V[xi] (P, K)    = B^T d B of each alpha x alpha input patch (stride m), for every temporal
//                                       tap: K = kt*cin, column dt*cin + ci; taps come from the ConvHistory
//   alpha^2 GEMMs     M[xi] (P, cout) = V[xi] (P, K) x U[xi] (K, cout)     (sgemm of the backend's library)
//   output transform  y (m x m)       = A^T m A of each tile, + bias (+ residual), cropped at the frame edge
//
// U (alpha^2, K, cout) = G g G^T of every 3x3 kernel, computed once at init in double precision. The band split
// depends on the frame size and tile only, and every GEMM row is one tile whatever the worker count, so results
// are bit-identical for any thread count or chunking; they differ from direct convolution in the last bits (parity
// tests hold both tiles to the same tolerances against PyTorch).

final class WinogradConv: CausalConvolution {
    let w: ConvWeights
    let h: Int
    let width: Int
    let tile: WinogradTile
    let library: GemmLibrary
    let history: ConvHistory
    let tileRows: Int                   // ceil(h / m)
    let tileCols: Int                   // ceil(width / m)
    let tileRowsPerBand: Int
    private let u: FloatBuffer          // (alpha^2, K, cout)
    private let v: [FloatBuffer]        // per worker (alpha^2, tileRowsPerBand * tileCols, K)
    private let m: [FloatBuffer]        // per worker (alpha^2, tileRowsPerBand * tileCols, cout)
    private let zeros: FloatBuffer      // (cin,) the padding outside the frame
    private let sources: UnsafeMutablePointer<UnsafeMutablePointer<Float>>   // (kt,) input frames, oldest first
    /// GEMM depth: kt * cin (not ConvWeights.k, the im2col depth kt*3*3*cin).
    let k: Int

    /// Tile rows per band: about 2 MB of transformed input per band (V stays in L2 while the GEMMs read it), and
    /// at least 4 bands (F(2x2)) or 2 (F(4x4), whose tiles are 4x larger: 4 bands of a 32-row frame would leave
    /// GEMMs of 16 rows) when the frame has that many tile rows. Depends on the frame size and tile only.
    static func tileRows(_ w: ConvWeights, h: Int, width: Int, tile: WinogradTile) -> Int {
        let rows = (h + tile.m - 1) / tile.m, cols = (width + tile.m - 1) / tile.m
        let byBytes = max(1, (2 << 20) / max(1, tile.alpha * tile.alpha * cols * w.kt * w.cin * 4))
        let bands = max((rows + byBytes - 1) / byBytes, min(rows, tile == .f2x2 ? 4 : 2))
        return max(1, (rows + bands - 1) / bands)
    }

    /// `shared`: where the model keeps its transformed kernels (nil: transform them for this conv alone).
    init(_ w: ConvWeights, h: Int, width: Int, tile: WinogradTile = .f2x2, library: GemmLibrary, workers: Int,
         shared: WinogradWeights? = nil) {
        precondition(w.ks == 3, "Winograd F(m x m,3x3) needs a 3x3 kernel")
        self.w = w
        self.h = h
        self.width = width
        self.tile = tile
        self.library = library
        k = w.kt * w.cin
        history = ConvHistory(kt: w.kt, frameCount: h * width * w.cin)
        tileRows = (h + tile.m - 1) / tile.m
        tileCols = (width + tile.m - 1) / tile.m
        tileRowsPerBand = Self.tileRows(w, h: h, width: width, tile: tile)
        let p = tileRowsPerBand * tileCols, points = tile.alpha * tile.alpha
        u = shared?.transformed(w, tile: tile) ?? Self.transformWeights(w, tile: tile)
        v = (0..<max(1, workers)).map { _ in FloatBuffer(count: points * p * w.kt * w.cin) }
        m = (0..<max(1, workers)).map { _ in FloatBuffer(count: points * p * w.cout) }
        zeros = FloatBuffer(count: w.cin)
        sources = .allocate(capacity: w.kt)
        sources.initialize(repeating: zeros.data, count: w.kt)
    }

    deinit { sources.deallocate() }

    /// The kernel's name in a session's `kernels`, e.g. "winograd4x4+dnnl_sgemm".
    var implementation: String {
        "winograd\(tile.m)x\(tile.m)+\(library == .onednn ? "dnnl" : "openblas")_sgemm"
    }

    func reset() { history.reset() }

    /// U[xi][k][co] = (G g G^T)[xi] for g = weight[dt, :, :, ci, co], k = dt*cin + ci, xi = i*alpha + j;
    /// computed in double precision and rounded once.
    /// Runs along co, contiguous in both the weights and U, so the loops vectorise; each value is the same
    /// sequence of double operations as one (ci, co) at a time, so U is bit for bit what it was.
    static func transformWeights(_ w: ConvWeights, tile: WinogradTile) -> FloatBuffer {
        let k = w.kt * w.cin, cout = w.cout, cin = w.cin, alpha = tile.alpha
        let g = tile.g.flatMap { $0 }                              // G (alpha, 3) row-major
        let out = FloatBuffer(count: alpha * alpha * k * cout)     // U (alpha^2, k, cout)
        let wt = w.weight.data                                     // (kt, 3, 3, cin, cout)
        let left = UnsafeMutablePointer<Double>.allocate(capacity: alpha * 3 * cout)   // G g (alpha, 3, cout)
        defer { left.deallocate() }
        for dt in 0..<w.kt {
            for ci in 0..<cin {
                let row = dt * cin + ci
                func tap(_ t: Int) -> UnsafeMutablePointer<Float> { wt + ((dt * 9 + t) * cin + ci) * cout }   // (cout,)
                for i in 0..<alpha {                                // left = G g
                    let a = g[i * 3], b = g[i * 3 + 1], c = g[i * 3 + 2]
                    for j in 0..<3 {
                        let s0 = tap(j), s1 = tap(3 + j), s2 = tap(6 + j), l = left + (i * 3 + j) * cout
                        for co in 0..<cout { l[co] = a * Double(s0[co]) + b * Double(s1[co]) + c * Double(s2[co]) }
                    }
                }
                for i in 0..<alpha {                                // (G g) G^T
                    let l0 = left + (i * 3) * cout, l1 = l0 + cout, l2 = l1 + cout
                    for j in 0..<alpha {
                        let a = g[j * 3], b = g[j * 3 + 1], c = g[j * 3 + 2]
                        let o = out.data + ((i * alpha + j) * k + row) * cout
                        for co in 0..<cout { o[co] = Float(l0[co] * a + l1[co] * b + l2[co] * c) }
                    }
                }
            }
        }
        return out
    }

    func forward(_ x: Frame, into out: Frame, residual: Frame?) {
        for dt in 0..<w.kt { sources[dt] = history.frame(dt, current: x.data) }
        let bands = (tileRows + tileRowsPerBand - 1) / tileRowsPerBand, points = tile.alpha * tile.alpha
        Parallel.forEachDynamic(bands, workers: v.count) { band, worker in
            let r0 = band * tileRowsPerBand, r1 = min(tileRows, r0 + tileRowsPerBand)
            let p = (r1 - r0) * tileCols
            let vb = v[worker].data, mb = m[worker].data
            inputTransform(tileRows: r0..<r1, into: vb, stride: p * k)
            for xi in 0..<points {
                Gemm.run(library, m: p, n: w.cout, k: k, a: vb + xi * p * k, b: u.data + xi * k * w.cout,
                         c: mb + xi * p * w.cout, beta: 0)
            }
            outputTransform(tileRows: r0..<r1, from: mb, stride: p * w.cout, into: out, residual: residual)
        }
        history.push(x.data)
    }

    /// V[xi][tile][dt*cin + ci] = (B^T d B)[xi], d the alpha x alpha patch of tap dt around the tile (zeros
    /// outside the frame). Both passes run along channels, contiguous in the input (channels-last) and in V.
    private func inputTransform(tileRows rows: Range<Int>, into vb: UnsafeMutablePointer<Float>, stride: Int) {
        let cin = w.cin, k = self.k, alpha = tile.alpha, mm = tile.m
        let d = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: alpha * alpha)   // patch, row-major
        defer { d.deallocate() }
        let t = UnsafeMutablePointer<Float>.allocate(capacity: alpha * alpha * cin)  // (alpha, alpha, cin) B^T d
        defer { t.deallocate() }
        let src = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: alpha)
        defer { src.deallocate() }
        let dst = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: alpha)
        defer { dst.deallocate() }
        var tileIndex = 0
        for ty in rows {
            for tx in 0..<tileCols {
                for dt in 0..<w.kt {
                    let frame = sources[dt]
                    for i in 0..<alpha {
                        let iy = mm * ty - 1 + i
                        for j in 0..<alpha {
                            let ix = mm * tx - 1 + j
                            d[i * alpha + j] = iy >= 0 && iy < h && ix >= 0 && ix < width
                                ? UnsafePointer(frame + (iy * width + ix) * cin) : UnsafePointer(zeros.data)
                        }
                    }
                    for j in 0..<alpha {                     // t[:, j] = B^T d[:, j]
                        for i in 0..<alpha { src[i] = d[i * alpha + j]; dst[i] = t + (i * alpha + j) * cin }
                        tile.inputTransform(src, dst, count: cin)
                    }
                    let base = vb + tileIndex * k + dt * cin
                    for i in 0..<alpha {                     // v[i, :] = t[i, :] B
                        for j in 0..<alpha { src[j] = UnsafePointer(t + (i * alpha + j) * cin); dst[j] = base + (i * alpha + j) * stride }
                        tile.inputTransform(src, dst, count: cin)
                    }
                }
                tileIndex += 1
            }
        }
    }

    /// y = A^T m A per tile, plus bias and residual; rows and columns past the frame (sizes not a multiple of m)
    /// are dropped. Vectorised along output channels.
    private func outputTransform(tileRows rows: Range<Int>, from mb: UnsafeMutablePointer<Float>, stride: Int,
                                 into out: Frame, residual: Frame?) {
        let cout = w.cout, bias = w.bias.data, alpha = tile.alpha, mm = tile.m
        let s = UnsafeMutablePointer<Float>.allocate(capacity: mm * alpha * cout)     // (m, alpha, cout) A^T m
        defer { s.deallocate() }
        let y = UnsafeMutablePointer<Float>.allocate(capacity: mm * mm * cout)        // (m, m, cout)
        defer { y.deallocate() }
        let src = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: alpha)
        defer { src.deallocate() }
        let dst = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: alpha)
        defer { dst.deallocate() }
        var tileIndex = 0
        for ty in rows {
            for tx in 0..<tileCols {
                let base = mb + tileIndex * cout
                for j in 0..<alpha {                         // s[:, j] = A^T m[:, j]
                    for i in 0..<alpha { src[i] = UnsafePointer(base + (i * alpha + j) * stride) }
                    for i in 0..<mm { dst[i] = s + (i * alpha + j) * cout }
                    tile.outputTransform(src, dst, count: cout)
                }
                for i in 0..<mm {                            // y[i, :] = s[i, :] A
                    for j in 0..<alpha { src[j] = UnsafePointer(s + (i * alpha + j) * cout) }
                    for j in 0..<mm { dst[j] = y + (i * mm + j) * cout }
                    tile.outputTransform(src, dst, count: cout)
                }
                for i in 0..<mm {
                    let oy = mm * ty + i
                    guard oy < h else { continue }
                    for j in 0..<mm {
                        let ox = mm * tx + j
                        guard ox < width else { continue }
                        let o = out.data + (oy * width + ox) * cout, value = y + (i * mm + j) * cout
                        if let r = residual {
                            let rr = r.data + (oy * width + ox) * cout
                            for c in 0..<cout { o[c] = value[c] + bias[c] + rr[c] }
                        } else {
                            for c in 0..<cout { o[c] = value[c] + bias[c] }
                        }
                    }
                }
                tileIndex += 1
            }
        }
    }
}
