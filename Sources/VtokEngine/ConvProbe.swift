// One 3x3 causal convolution of a model's layer shape, with synthetic weights, built the way a session builds it
// (same classes, same band splits), so `vtok bench --layers` can time every algorithm on every layer shape and
// show why ConvAlgorithm.auto picks what it picks. The engine itself has no timing code: VtokBench times run().

/// A 3x3 conv layer shape of a model at one frame size.
public struct ConvLayerShape: Hashable, Sendable, CustomStringConvertible {
    /// "encoder" or "decoder".
    public let network: String
    public let h: Int
    public let w: Int
    public let cin: Int
    public let cout: Int
    public let kt: Int
    /// How many convs of this shape run for each latent (ops after a d2t by f run f times per latent).
    public let perLatent: Int
    /// Greater than 1 for a first conv run by frame slot (FrameSlots): each of the `slots` convs has cin / slots
    /// of its channels, and the algorithm is the one the whole conv's shape gets.
    public let slots: Int

    init(network: String, h: Int, w: Int, cin: Int, cout: Int, kt: Int, perLatent: Int, slots: Int = 1) {
        self.network = network; self.h = h; self.w = w; self.cin = cin; self.cout = cout; self.kt = kt
        self.perLatent = perLatent; self.slots = slots
    }

    public var description: String {
        "\(network) \(w)x\(h) \(cin)->\(cout) kt \(kt)" + (slots > 1 ? " (frame slot)" : "")
    }

    /// Multiply-adds x 2 of one run by direct convolution.
    public var flops: Double { 2 * Double(h * w) * Double(kt * 9 * cin) * Double(cout) }
}

extension VtokModel {
    /// Every distinct 3x3 conv shape of the encoder, then the decoder, at this frame size, in network order.
    public func convShapes(width: Int, height: Int) -> [ConvLayerShape] {
        var out: [ConvLayerShape] = []
        // slots: the first op is a conv run as that many frame slots (FrameSlots), each on cin / slots channels.
        func walk(_ ops: ArraySlice<Op>, network: String, h: Int, w: Int, slots: Int = 1) {
            var h = h, w = w, rate = 1, first = true
            func add(_ cin: Int, _ cout: Int, _ kt: Int, slots: Int = 1) {
                if let i = out.firstIndex(where: { $0.network == network && $0.h == h && $0.w == w && $0.cin == cin
                                                   && $0.cout == cout && $0.kt == kt && $0.slots == slots }) {
                    let s = out[i]
                    out[i] = ConvLayerShape(network: network, h: h, w: w, cin: cin, cout: cout, kt: kt,
                                            perLatent: s.perLatent + rate, slots: slots)
                } else {
                    out.append(ConvLayerShape(network: network, h: h, w: w, cin: cin, cout: cout, kt: kt, perLatent: rate,
                                              slots: slots))
                }
            }
            for op in ops {
                switch op {
                case let .conv(_, cin, cout, kt, ks) where first && slots > 1:
                    if ks == 3 { for _ in 0..<slots { add(cin / slots, cout, kt, slots: slots) } }
                case let .conv(_, cin, cout, kt, ks): if ks == 3 { add(cin, cout, kt) }
                case let .res(_, c, kt): add(c, c, kt); add(c, c, 1)
                case let .s2d(f): h /= f; w /= f
                case let .d2s(f): h *= f; w *= f
                case let .d2t(f): rate *= f
                case .norm, .silu, .patchify, .unpatchify: break
                }
                first = false
            }
        }
        let ps = patchify.1          // the encoder runs once per latent after patchify, like the decoder
        walk(config.encoder.dropFirst(), network: "encoder", h: height / ps, w: width / ps,
             slots: encoderFrameSlots?.convs.count ?? 1)
        let sf = config.spatialFactor
        walk(config.decoder.dropLast(), network: "decoder", h: height / sf, w: width / sf)
        return out
    }
}

/// A conv of `shape` computed by `tile` (nil: the backend's direct convolution), on `compute`'s backend and
/// workers, with deterministic synthetic weights and input.
public final class ConvProbe {
    public let shape: ConvLayerShape
    /// The kernel that runs it, e.g. "winograd4x4+dnnl_sgemm" or oneDNN's implementation name.
    public let kernel: String
    private let conv: any CausalConvolution
    private let input: FloatBuffer
    private let output: FloatBuffer
    private let streams: OneDNNStreams?

    /// The rule ConvAlgorithm.auto picks for this shape on `backend` (nil: direct).
    /// A frame slot gets its whole conv's rule, as in a session.
    public static func autoTile(_ shape: ConvLayerShape, backend: ComputeBackend) -> WinogradTile? {
        let whole = ConvLayerShape(network: shape.network, h: shape.h, w: shape.w, cin: shape.cin * shape.slots,
                                   cout: shape.cout, kt: shape.kt, perLatent: 1)
        return ConvAlgorithm.auto.tile(Self.weights(whole), h: shape.h, width: shape.w, backend: backend)
    }

    public init(_ shape: ConvLayerShape, tile: WinogradTile?, compute: ComputeOptions) throws(EngineError) {
        Gemm.useCallerThreadOnly()
        self.shape = shape
        let cw = Self.weights(shape)
        let workers = compute.threads
        input = FloatBuffer((0..<(shape.h * shape.w * shape.cin)).map { Float($0 % 17) / 8 - 1 })
        output = FloatBuffer(count: shape.h * shape.w * shape.cout)
        if let tile {
            _ = Gemm.prepare(compute.backend.gemmLibrary)?.value     // timed runs without the one-off set-up
            streams = nil
            let c = WinogradConv(cw, h: shape.h, width: shape.w, tile: tile, library: compute.backend.gemmLibrary,
                                 workers: workers)
            conv = c
            kernel = c.implementation
        } else if compute.backend == .onednn {
            let streams = try OneDNNStreams(count: workers)
            self.streams = streams
            let c = try OneDNNConv(cw, h: shape.h, width: shape.w, accumulates: false, streams: streams)
            conv = c
            kernel = c.implementation
        } else {
            streams = nil
            conv = GemmConv(cw, h: shape.h, width: shape.w, scratch: (0..<workers).map { _ in
                FloatBuffer(count: GemmConv.scratchCount(cw, h: shape.h, width: shape.w))
            })
            kernel = "im2col+sgemm"
        }
    }

    /// One frame through the conv (its history advances, as in a stream).
    public func run() {
        conv.forward(Frame(h: shape.h, w: shape.w, c: shape.cin, data: input.data),
                     into: Frame(h: shape.h, w: shape.w, c: shape.cout, data: output.data), residual: nil)
    }

    private static func weights(_ s: ConvLayerShape) -> ConvWeights {
        let n = s.kt * 9 * s.cin * s.cout, scale = 1 / Float(s.kt * 9 * s.cin).squareRoot()
        return ConvWeights(cin: s.cin, cout: s.cout, kt: s.kt, ks: 3,
                           weight: FloatBuffer((0..<n).map { Float($0 % 23 - 11) / 11 * scale }),
                           bias: FloatBuffer(count: s.cout))
    }
}
