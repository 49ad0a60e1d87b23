// A causal 3D conv run one time step (one latent frame) at a time: out (h, w, cout) = sum over temporal taps
// dt of conv2d(input frame t-(kt-1)+dt, weight[dt]) + bias (+ residual), the past frames coming from a
// ConvHistory. Two implementations, one per ComputeBackend; the graph builds the one its session uses.

protocol CausalConvolution: AnyObject {
    /// out (h, w, cout) = conv(x (h, w, cin) and the past) + bias (+ residual (h, w, cout)); then x joins the past.
    /// residual may be out itself (a frame slot adding to the sum so far).
    func forward(_ x: Frame, into out: Frame, residual: Frame?)
    /// Back to the start of a stream (a zero past).
    func reset()
}

extension CausalConvolution {
    func forward(_ x: Frame, into out: Frame) { forward(x, into: out, residual: nil) }
}
