// Arithmetic cost of the model, computed from the config: 2 * positions * K * cout multiply-adds for every
// conv (K = kt*ks*ks*cin), per latent (ops after a d2t by f count f times), divided by the temporal factor to give
// FLOPs per frame.
// Norms, activations and rearrangements are not counted (they are a few FLOPs per element).

extension VtokModel {
    /// FLOPs per video frame for the encoder and decoder at the given frame size.
    public func flops(width: Int, height: Int) -> (encoder: Double, decoder: Double) {
        let (pt, ps) = patchify
        let enc = Self.convFlops(config.encoder.dropFirst(), h: height / ps, w: width / ps)
        let sf = config.spatialFactor
        let dec = Self.convFlops(config.decoder.dropLast(), h: height / sf, w: width / sf)
        return (enc / Double(pt), dec / Double(config.temporalFactor))
    }

    private static func convFlops(_ ops: ArraySlice<Op>, h: Int, w: Int) -> Double {
        var h = h, w = w, rate = 1.0, total = 0.0      // rate: steps per latent (ops after a d2t run more often)
        for op in ops {
            switch op {
            case let .conv(_, cin, cout, kt, ks):
                total += rate * 2 * Double(h * w) * Double(kt * ks * ks * cin) * Double(cout)
            case let .res(_, c, kt):
                total += rate * 2 * Double(h * w) * Double(kt * 9 * c + 9 * c) * Double(c)
            case let .s2d(f): h /= f; w /= f
            case let .d2s(f): h *= f; w *= f
            case let .d2t(f): rate *= Double(f)
            case .norm, .silu, .patchify, .unpatchify: break
            }
        }
        return total
    }
}
