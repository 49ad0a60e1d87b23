// Per-position and per-element kernels on channels-last activations. Written as plain loops over contiguous
// memory so release builds vectorise them. Nothing here mixes positions, so chunking never changes results.

import Foundation

enum Elementwise {
    /// RMS norm over channels, in place, optionally followed by SiLU:
    /// x (n, c) -> x * rsqrt(mean_c(x^2) + eps) * weight (c,), as RMSNorm in layers.py.
    static func rmsNorm(_ x: UnsafeMutablePointer<Float>, positions n: Int, channels c: Int,
                        weight: UnsafePointer<Float>, eps: Float, silu applySiLU: Bool) {
        let invC = Float(c)
        for p in 0..<n {
            let row = x + p * c
            var ss: Float = 0
            for i in 0..<c { ss += row[i] * row[i] }
            let r = 1 / (ss / invC + eps).squareRoot()
            if applySiLU {
                for i in 0..<c { row[i] = siluScalar(row[i] * r * weight[i]) }
            } else {
                for i in 0..<c { row[i] = row[i] * r * weight[i] }
            }
        }
    }

    /// SiLU in place: x * sigmoid(x) = x / (1 + exp(-x)).
    static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = siluScalar(x[i]) }
    }

    @inline(__always) static func siluScalar(_ v: Float) -> Float { v / (1 + expf(-v)) }

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
