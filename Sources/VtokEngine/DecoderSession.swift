// Streaming decoder: latents (as tokens or continuous values) in, RGB frames out. Latent k yields the t frames
// of group k (frames t*k-(t-1) ... t*k); for latent 0 only the last of its t (frame 0) is emitted. The caller
// trims frames past the true frame count of the stream. All buffers are allocated at init.

/// One decoded frame.
public struct DecodedFrame: Sendable, Equatable {
    /// Frame index in the stream (0-based).
    public let index: Int
    /// RGB, (height, width, 3) uint8 = clamp(round((y + 1) * 127.5), 0, 255).
    public let rgb: [UInt8]
    /// The decoder output y in [-1, 1] units, unclamped, (height, width, 3); only if the session emits floats.
    public let values: [Float]?
}

public final class DecoderSession {
    public let model: VtokModel
    public let width: Int
    public let height: Int
    public let latentHeight: Int
    public let latentWidth: Int
    public let emitFloat: Bool
    /// The library, threads and 3x3 algorithm this session runs on, as given at init.
    public let compute: ComputeOptions
    /// Latents pushed since the start of the stream.
    public private(set) var latentsIn = 0

    private let graph: StreamGraph
    /// The convolution kernels this session runs, e.g. ["brgconv:avx512_core"].
    public var kernels: Set<String> { graph.kernels }
    /// Workers the graph was built for (compute.threads), for tests.
    var workers: Int { graph.workers }
    private let fsq: FSQ
    private let t: Int, s: Int           // unpatchify's frames per decoder step and its spatial factor
    private let steps: Int                // decoder steps per latent (d2t factors); steps * t = temporal factor

    public init(model: VtokModel, width: Int, height: Int, emitFloat: Bool = false,
                compute: ComputeOptions = .default) throws(EngineError) {
        let sf = model.config.spatialFactor
        guard width > 0, height > 0, width % sf == 0, height % sf == 0, width <= 1 << 14, height <= 1 << 14 else {
            throw .badFrameSize(width: width, height: height, multiple: sf)
        }
        self.model = model
        self.width = width
        self.height = height
        self.emitFloat = emitFloat
        self.compute = compute
        (t, s) = model.unpatchify
        steps = model.decoderTimeSteps
        latentHeight = height / sf
        latentWidth = width / sf
        fsq = FSQ(levels: model.config.fsqLevels, eps: model.config.fsqEps)
        graph = try StreamGraph(model.decoderLayers, h: latentHeight, w: latentWidth, c: model.config.latentChannels,
                                eps: Float(model.config.normEps), frameSize: (width, height), multiple: sf,
                                compute: compute, winogradWeights: model.winogradWeights)
        let y = graph.output
        guard y.h * s == height, y.w * s == width, y.c == 3 * t * s * s else {
            throw .badFrameSize(width: width, height: height, multiple: sf)
        }
    }

    /// Pushes n latents as tokens, (n, h, w) row-major. Every token is checked before any is used.
    public func push(tokens: [UInt16]) throws(EngineError) -> [DecodedFrame] {
        let n = latentHeight * latentWidth
        guard !tokens.isEmpty, tokens.count % n == 0 else {
            throw .wrongInputLength(expected: (tokens.count / n + 1) * n, found: tokens.count)
        }
        let vocab = model.config.vocabularySize
        if let bad = tokens.first(where: { Int($0) >= vocab }) { throw .tokenOutOfRange(bad) }
        var out: [DecodedFrame] = []
        tokens.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            for k in 0..<(tokens.count / n) {
                fsq.dequantize(base + k * n, positions: n, into: graph.input.data)
                out += step()
            }
        }
        return out
    }

    /// Pushes n continuous latents, (n, h, w, C) channels-last, in [-1, 1] (e.g. EncodedLatent.latents).
    public func push(latents: [Float]) throws(EngineError) -> [DecodedFrame] {
        let n = graph.input.count
        guard !latents.isEmpty, latents.count % n == 0 else {
            throw .wrongInputLength(expected: (latents.count / n + 1) * n, found: latents.count)
        }
        var out: [DecodedFrame] = []
        latents.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            for k in 0..<(latents.count / n) {
                graph.input.data.update(from: base + k * n, count: n)
                out += step()
            }
        }
        return out
    }

    /// Starts a new stream.
    public func reset() {
        graph.reset()
        latentsIn = 0
    }

    /// One latent through the graph: `steps` decoder steps of `t` frames each, group positions
    /// step * t + dt = 0 ..< T in time order. Latent 0 stands for frame 0 repeated: only its last position is
    /// kept, but every step still runs, so the layers after a d2t see the same past as the reference.
    private func step() -> [DecodedFrame] {
        let k = latentsIn
        latentsIn += 1
        let count = width * height * 3
        let group = steps * t
        var frames: [DecodedFrame] = []
        frames.reserveCapacity(group)
        graph.run { y, step in                        // y (H/s, W/s, 3*t*s*s)
            for dt in 0..<t {
                let position = step * t + dt
                if k == 0 && position != group - 1 { continue }
                // Straight into the frame's own arrays: no staging buffer, no copy (unpatchify writes every element).
                func rgb(floats: UnsafeMutablePointer<Float>?) -> [UInt8] {
                    [UInt8](unsafeUninitializedCapacity: count) { p, initialized in
                        guard let base = p.baseAddress else { return }
                        Rearrange.unpatchifyFrame(y, t: t, s: s, dt: dt, rgb: base, floats: floats)
                        initialized = count
                    }
                }
                var floats: [Float]? = nil
                let pixels: [UInt8]
                if emitFloat {
                    var f = [Float](repeating: 0, count: count)
                    pixels = f.withUnsafeMutableBufferPointer { rgb(floats: $0.baseAddress) }
                    floats = f
                } else {
                    pixels = rgb(floats: nil)
                }
                frames.append(DecodedFrame(index: k == 0 ? 0 : (k - 1) * group + 1 + position, rgb: pixels, values: floats))
            }
        }
        return frames
    }
}
