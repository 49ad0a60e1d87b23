// The layer kinds a StreamGraph chains. Each owns (or, for in-place ops, shares) its output frame.

final class ConvLayer: StreamLayer {
    let conv: any CausalConvolution
    let output: Frame                // (h, w, cout)
    init(_ conv: any CausalConvolution, out: Frame) { self.conv = conv; output = out }
    func forward(_ x: Frame) { conv.forward(x, into: output) }
    func reset() { conv.reset() }
}

/// x + conv2(silu(norm2(conv1(silu(norm1(x)))))), conv1 (kt,3,3) causal, conv2 (1,3,3).
final class ResLayer: StreamLayer {
    let norm1: FloatBuffer, norm2: FloatBuffer       // (c,)
    let conv1: any CausalConvolution, conv2: any CausalConvolution
    let eps: Float
    let threads: Int                 // the session's workers, for the norms
    let t1: Frame                    // (h, w, c) silu(norm1(x)), conv1's input
    let t2: Frame                    // (h, w, c) conv1 output, then silu(norm2(.)) in place
    let output: Frame                // (h, w, c)

    init(norm1: FloatBuffer, conv1: any CausalConvolution, norm2: FloatBuffer, conv2: any CausalConvolution, eps: Float,
         threads: Int, t1: Frame, t2: Frame, out: Frame) {
        self.norm1 = norm1; self.conv1 = conv1; self.norm2 = norm2; self.conv2 = conv2
        self.eps = eps; self.threads = threads; self.t1 = t1; self.t2 = t2; output = out
    }

    func forward(_ x: Frame) {
        NormLayer.apply(x, into: t1, weight: norm1, eps: eps, silu: true, threads: threads)
        conv1.forward(t1, into: t2)
        NormLayer.apply(t2, weight: norm2, eps: eps, silu: true, threads: threads)
        conv2.forward(t2, into: output, residual: x)
    }

    func reset() { conv1.reset(); conv2.reset() }
}

/// RMS norm in place, optionally fused with the SiLU that follows it.
final class NormLayer: StreamLayer {
    let weight: FloatBuffer          // (c,)
    let eps: Float
    let silu: Bool
    let threads: Int
    let output: Frame                // == input, (h, w, c)
    init(weight: FloatBuffer, eps: Float, silu: Bool, threads: Int, frame: Frame) {
        self.weight = weight; self.eps = eps; self.silu = silu; self.threads = threads; output = frame
    }
    func forward(_ x: Frame) { Self.apply(x, weight: weight, eps: eps, silu: silu, threads: threads) }
    func reset() {}

    /// out (h, w, c) = norm(x) (and SiLU); out defaults to x (in place). 16 parts on up to `threads` workers.
    static func apply(_ x: Frame, into out: Frame? = nil, weight: FloatBuffer, eps: Float, silu: Bool, threads: Int) {
        let rows = x.h * x.w, c = x.c, parts = 16, dst = out?.data ?? x.data
        Parallel.forEach(parts, threads: threads) { part in
            let lo = rows * part / parts, hi = rows * (part + 1) / parts
            Elementwise.rmsNorm(x.data + lo * c, into: dst + lo * c, positions: hi - lo, channels: c,
                                weight: weight.data, eps: eps, silu: silu)
        }
    }
}

final class SiLULayer: StreamLayer {
    let threads: Int
    let output: Frame                // == input
    init(threads: Int, frame: Frame) { self.threads = threads; output = frame }
    func forward(_ x: Frame) {
        let n = x.count, parts = 16
        Parallel.forEach(parts, threads: threads) { part in
            let lo = n * part / parts, hi = n * (part + 1) / parts
            Elementwise.silu(x.data + lo, count: hi - lo)
        }
    }
    func reset() {}
}

/// s2d (toDepth) or d2s by f.
final class RearrangeLayer: StreamLayer {
    let f: Int
    let toDepth: Bool
    let output: Frame
    init(f: Int, toDepth: Bool, out: Frame) { self.f = f; self.toDepth = toDepth; output = out }
    func forward(_ x: Frame) {
        if toDepth { Rearrange.spaceToDepth(x, f: f, into: output) } else { Rearrange.depthToSpace(x, f: f, into: output) }
    }
    func reset() {}
}
