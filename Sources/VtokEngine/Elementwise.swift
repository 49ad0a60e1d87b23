// Per-position and per-element kernels on channels-last activations. Inner loops are branch-free scalar code
// over contiguous memory so release builds vectorise them; the one reduction (sum of squares) is written with
// SIMD16 lanes because the compiler may not reorder a float sum. Nothing here mixes positions, so chunking
// never changes results.

enum Elementwise {
    typealias V = SIMD16<Float>

    /// RMS norm over channels, optionally followed by SiLU, as RMSNorm in layers.py:
    /// out (n, c) = x (n, c) * rsqrt(mean_c(x^2) + eps) * weight (c,). out may equal x.
    static func rmsNorm(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, positions n: Int,
                        channels c: Int, weight: UnsafePointer<Float>, eps: Float, silu applySiLU: Bool) {
        let vc = c / 16 * 16
        for p in 0..<n {
            let src = x + p * c, dst = out + p * c
            var acc = V(repeating: 0)
            var i = 0
            while i < vc {
                let v = UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
                acc += v * v
                i += 16
            }
            var ss = acc.sum()
            while i < c { ss += src[i] * src[i]; i += 1 }
            let r = 1 / (ss / Float(c) + eps).squareRoot()
            for j in 0..<c { dst[j] = src[j] * r * weight[j] }
            if applySiLU { silu(dst, count: c) }
        }
    }

    /// SiLU in place: x * sigmoid(x) = x / (1 + exp(-x)).
    static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = siluScalar(x[i]) }
    }

    @inline(__always) static func siluScalar(_ v: Float) -> Float { v / (1 + exp(-v)) }

    /// expf without a library call, so loops around it vectorise: Cephes expf (range reduction by ln 2 in two
    /// parts, degree-6 polynomial), about 2 ulp; inputs clamped to [-87.3, 88.3].
    @inline(__always) static func exp(_ x: Float) -> Float {
        let lo: Float = -87.3, hi: Float = 88.3
        let xc = x < lo ? lo : (x > hi ? hi : x)
        // Round to the nearest integer by adding 1.5 * 2^23: the integer then sits in the low mantissa bits.
        let shifted = xc * 1.442_695_041 + 12_582_912
        let n = shifted - 12_582_912
        let r = xc - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)     // 2^n
        return p * scale
    }

    /// Fills each of n rows of width c with bias (c,), plus residual (n, c) if given.
    static func fillRows(_ out: UnsafeMutablePointer<Float>, rows n: Int, width c: Int, bias: UnsafePointer<Float>,
                         residual: UnsafePointer<Float>?) {
        if let r = residual {
            for p in 0..<n {
                let o = out + p * c, s = r + p * c
                for i in 0..<c { o[i] = s[i] + bias[i] }
            }
        } else {
            for p in 0..<n { (out + p * c).update(from: bias, count: c) }
        }
    }
}
