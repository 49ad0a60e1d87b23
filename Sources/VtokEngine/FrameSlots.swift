// The encoder's first conv split by frame slot, so that most of it runs as the frames of a group arrive instead
// of after the last one (a live stream's latency is the time from a group's last frame to its tokens).
//
// Patchify packs the t frames of a group into channels (c, dt, dy, dx) of one (H/s, W/s, 3*t*s*s) frame. A
// first conv with kt 1 on it is linear in the channels, so it is the sum of t convs, one per frame slot dt, each
// on that frame alone patchified as (c, dy, dx), (H/s, W/s, 3*s*s), with the matching rows of the kernel:
//
//   conv(group) + bias = (((conv_0(frame_0) + bias) + conv_1(frame_1)) + ...) + conv_{t-1}(frame_{t-1})
//
// The session runs slot dt when frame dt arrives; the order of the sum is fixed, so every chunking of the
// input still gives the same bits. It differs from one conv over all channels in the last bits only (the sum's
// order), like any other choice of kernel (parity tests hold it to the PyTorch reference's tolerances).

/// The t slices of a first conv, made once per model (their buffers key the shared Winograd kernels).
struct FrameSlots {
    /// Slot dt's conv: (1, ks, ks, 3*s*s, cout); slot 0 carries the bias, the others a zero bias.
    let convs: [ConvWeights]
    /// The whole conv's weights, for the choice of algorithm: the slices run the rule the whole conv gets.
    let whole: ConvWeights

    /// The slices of `layers`' first op, if it is a conv with kt 1 on a group of t > 1 patchified frames.
    init?(_ layers: [LayerWeights], t: Int, s: Int) {
        guard t > 1, case let .conv(w)? = layers.first, w.kt == 1, w.cin == 3 * t * s * s else { return nil }
        whole = w
        convs = (0..<t).map { dt in Self.slice(w, t: t, s: s, dt: dt) }
    }

    /// Kernel rows (tap, c, dy, dx) of slot dt: rows (tap, (c*t + dt)*s*s + dy*s + dx) of the whole conv.
    private static func slice(_ w: ConvWeights, t: Int, s: Int, dt: Int) -> ConvWeights {
        let block = s * s, cin = 3 * block, cout = w.cout, taps = w.ks * w.ks
        let weight = FloatBuffer(count: taps * cin * cout)                  // (1, ks, ks, 3*s*s, cout)
        for tap in 0..<taps {
            for c in 0..<3 {
                for q in 0..<block {
                    let src = w.weight.data + (tap * w.cin + (c * t + dt) * block + q) * cout
                    let dst = weight.data + (tap * cin + c * block + q) * cout
                    for co in 0..<cout { dst[co] = src[co] }
                }
            }
        }
        let bias = dt == 0 ? FloatBuffer(w.bias.array) : FloatBuffer(count: cout)
        return ConvWeights(cin: cin, cout: cout, kt: 1, ks: w.ks, weight: weight, bias: bias)
    }
}
