// Streaming encoder: RGB frames in, latents out as soon as their group is complete.
// Time contract (model.py): group 0 = frame 0 replicated t times; group k >= 1 = frames t*k-(t-1) ... t*k; a final
// partial group is completed at finish() by repeating its last frame. Latent k depends only on groups <= k, so
// any chunking of the input gives bit-identical output. All buffers are allocated at init.
// With a first conv of kt 1 (FrameSlots), each frame's share of it runs as the frame arrives, and the group's
// last frame leaves only its own share and the rest of the network to run.

/// One latent time step.
public struct EncodedLatent: Sendable, Equatable {
    /// Latent index k (0-based).
    public let index: Int
    /// Token indices, (h, w) row-major, each < model.config.vocabularySize.
    public let tokens: [UInt16]
    /// Continuous latents in [-1, 1], (h, w, C) channels-last; only if the session emits them.
    public let latents: [Float]?
    /// First real source frame this latent covers.
    public let firstFrame: Int
    /// Number of real source frames it covers (1 for latent 0, t for full groups, fewer for a final partial one).
    public let frameCount: Int
}

public final class EncoderSession {
    public let model: VtokModel
    public let width: Int
    public let height: Int
    /// Latent grid size: (height / spatialFactor, width / spatialFactor).
    public let latentHeight: Int
    public let latentWidth: Int
    public let emitContinuous: Bool
    /// The library, threads and 3x3 algorithm this session runs on, as given at init.
    public let compute: ComputeOptions
    /// Frames pushed since the start of the stream.
    public private(set) var framesIn = 0
    /// Latents emitted since the start of the stream.
    public private(set) var latentsOut = 0

    private let graph: StreamGraph
    /// The convolution kernels this session runs, e.g. ["brgconv:avx512_core"].
    public var kernels: Set<String> { graph.kernels }
    /// Workers the graph was built for (compute.threads), for tests.
    var workers: Int { graph.workers }
    /// Whether the first conv runs by frame slot (FrameSlots), for tests.
    var graphRunsFrameSlots: Bool { graph.runsFrameSlots }
    private let fsq: FSQ
    private let t: Int, s: Int
    private var pending = 0          // frames in the current incomplete group, 0..<t
    private var finished = false
    private let tokenBuffer: UnsafeMutablePointer<UInt16>   // (h, w)
    private let latentBuffer: FloatBuffer                   // (h, w, C) continuous latents

    public convenience init(model: VtokModel, width: Int, height: Int, emitContinuous: Bool = false,
                            compute: ComputeOptions = .default) throws(EngineError) {
        try self.init(model: model, width: width, height: height, emitContinuous: emitContinuous, compute: compute,
                      frameSlots: true)
    }

    /// `frameSlots` false: the first conv runs on the whole group after its last frame, as before frame slots
    /// (for tests that compare the two).
    init(model: VtokModel, width: Int, height: Int, emitContinuous: Bool, compute: ComputeOptions,
         frameSlots: Bool) throws(EngineError) {
        let sf = model.config.spatialFactor
        guard width > 0, height > 0, width % sf == 0, height % sf == 0, width <= 1 << 14, height <= 1 << 14 else {
            throw .badFrameSize(width: width, height: height, multiple: sf)
        }
        (t, s) = model.patchify
        guard width % s == 0, height % s == 0 else { throw .badFrameSize(width: width, height: height, multiple: s) }
        self.model = model
        self.width = width
        self.height = height
        self.emitContinuous = emitContinuous
        self.compute = compute
        latentHeight = height / sf
        latentWidth = width / sf
        fsq = FSQ(levels: model.config.fsqLevels, eps: model.config.fsqEps)
        // graph input: one patchified frame, (H/s, W/s, 3*s*s), with frame slots; else one patchified group,
        // (H/s, W/s, 3*t*s*s)
        let slots = frameSlots ? model.encoderFrameSlots : nil
        graph = try StreamGraph(model.encoderLayers, h: height / s, w: width / s, c: 3 * (slots == nil ? t : 1) * s * s,
                                eps: Float(model.config.normEps), frameSize: (width, height), multiple: sf,
                                compute: compute, winogradWeights: model.winogradWeights, frameSlots: slots)
        let z = graph.output
        guard z.h == latentHeight, z.w == latentWidth, z.c == model.config.latentChannels else {
            throw .badFrameSize(width: width, height: height, multiple: sf)
        }
        tokenBuffer = .allocate(capacity: latentHeight * latentWidth)
        tokenBuffer.initialize(repeating: 0, count: latentHeight * latentWidth)
        latentBuffer = FloatBuffer(count: latentHeight * latentWidth * model.config.latentChannels)
    }

    deinit { tokenBuffer.deallocate() }

    /// Pushes one RGB frame, (height, width, 3) uint8. Returns the latent it completes, if any.
    public func push(frame rgb: UnsafeBufferPointer<UInt8>) throws(EngineError) -> [EncodedLatent] {
        guard !finished else { throw .streamFinished }
        guard rgb.count == width * height * 3 else { throw .wrongInputLength(expected: width * height * 3, found: rgb.count) }
        let group = graph.input
        if graph.runsFrameSlots {
            Rearrange.patchifyFrame(rgb, height: height, width: width, t: 1, s: s, dt: 0, into: group.data)
            for dt in framesIn == 0 ? 0..<t : pending..<pending + 1 { graph.runSlot(dt) }    // frame 0 fills the group
            pending = framesIn == 0 ? t : pending + 1
        } else if framesIn == 0 {
            Rearrange.patchifyFrame(rgb, height: height, width: width, t: t, s: s, dt: 0, into: group.data)
            for dt in 1..<t { Rearrange.copySlot(group.data, positions: group.h * group.w, t: t, s: s, from: 0, to: dt) }
            pending = t
        } else {
            Rearrange.patchifyFrame(rgb, height: height, width: width, t: t, s: s, dt: pending, into: group.data)
            pending += 1
        }
        framesIn += 1
        guard pending == t else { return [] }
        return [runGroup(realFrames: framesIn == 1 ? 1 : t)]
    }

    /// Pushes one RGB frame held in an array, (height, width, 3) uint8.
    public func push(frame rgb: [UInt8]) throws(EngineError) -> [EncodedLatent] {
        try rgb.withUnsafeBufferPointer { (p) throws(EngineError) in try push(frame: p) }
    }

    /// Pushes several frames, each (height, width, 3) uint8. All lengths are checked before any is used.
    public func push(frames: [[UInt8]]) throws(EngineError) -> [EncodedLatent] {
        guard !finished else { throw .streamFinished }
        for f in frames where f.count != width * height * 3 {
            throw .wrongInputLength(expected: width * height * 3, found: f.count)
        }
        var out: [EncodedLatent] = []
        for f in frames { out += try push(frame: f) }
        return out
    }

    /// Ends the stream: completes a partial last group by repeating its last frame. Further pushes throw
    /// streamFinished until reset().
    public func finish() -> [EncodedLatent] {
        guard !finished else { return [] }
        finished = true
        guard pending > 0 && pending < t else { return [] }
        let real = pending
        let group = graph.input
        for dt in pending..<t {
            if graph.runsFrameSlots {
                graph.runSlot(dt)                      // the input still holds the last frame
            } else {
                Rearrange.copySlot(group.data, positions: group.h * group.w, t: t, s: s, from: pending - 1, to: dt)
            }
        }
        pending = t
        return [runGroup(realFrames: real)]
    }

    /// Starts a new stream: zero history, frame count 0.
    public func reset() {
        graph.reset()
        framesIn = 0
        latentsOut = 0
        pending = 0
        finished = false
    }

    private func runGroup(realFrames: Int) -> EncodedLatent {
        graph.run()
        let z = graph.output                           // (h, w, C) pre-bound latent
        let n = z.h * z.w, c = z.c
        var continuous: [Float]? = nil
        fsq.quantize(z.data, positions: n, tokens: tokenBuffer, continuous: emitContinuous ? latentBuffer.data : nil)
        let tokens = Array(UnsafeBufferPointer(start: tokenBuffer, count: n))
        if emitContinuous { continuous = Array(UnsafeBufferPointer(start: latentBuffer.data, count: n * c)) }
        let k = latentsOut
        latentsOut += 1
        pending = 0
        let first = k == 0 ? 0 : (k - 1) * t + 1
        return EncodedLatent(index: k, tokens: tokens, latents: continuous, firstFrame: first, frameCount: realFrames)
    }
}
