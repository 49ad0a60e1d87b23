// An encoder or decoder op list compiled for one frame size: a chain of layers, each with its output buffer,
// ring buffers and its backend's per-worker state (im2col scratch for OpenBLAS, streams and primitives for
// oneDNN), all allocated here. run() pushes one latent-rate time step through.
// Elementwise layers (norm, silu) work in place on their input.
//
// A d2t by f splits the chain into stages: the stage after it runs f times for each run of the stage before it,
// on time steps dt = 0 ..< f taken from the channels (Rearrange.depthToTime), each layer keeping its own causal
// past at its own rate. The last stage's output is handed to the caller once per step, in time order.
//
// Built with FrameSlots (the encoder), the first conv is run by runSlot(dt) as each frame of a group arrives,
// on `input` = that frame alone, each slot adding to the first stage's input; run() then does the rest.

protocol StreamLayer: AnyObject {
    /// Where this layer leaves its result, (h, w, c); valid after forward().
    var output: Frame { get }
    func forward(_ x: Frame)
    func reset()
}

final class StreamGraph {
    /// The layers between two d2t ops.
    private struct Stage {
        var input: Frame                 // (h, w, c) this stage's input: the graph input, or one d2t step
        var layers: [any StreamLayer] = []
        var split = 1                    // d2t factor after this stage (1: the last stage)
        var output: Frame { layers.last?.output ?? input }
    }

    let input: Frame                 // (h, w, c) filled by the session before run() (or runSlot(dt))
    private let inputBuffer: FloatBuffer
    private var buffers: [FloatBuffer] = []
    private var stages: [Stage] = []
    /// The first conv's slot convs (FrameSlots), empty without them; they sum into stages[0].input.
    private var slotConvs: [any CausalConvolution] = []
    /// Output steps per run(): the product of the d2t factors.
    private(set) var stepsPerRun = 1
    /// The session's workers (ComputeOptions.threads): per-worker scratch, streams and Winograd buffers.
    let workers: Int
    let scratch: [FloatBuffer]       // per worker: one im2col band (rows*w, K) for the largest conv (OpenBLAS)
    let streams: OneDNNStreams?      // per worker (oneDNN)
    /// The convolution kernels in use, e.g. ["brgconv:avx512_core"] or ["im2col+sgemm"].
    private(set) var kernels: Set<String> = []

    /// Where the last stage leaves each step's result (h, w, c).
    var output: Frame { stages[stages.count - 1].output }

    /// Builds the chain for an input of (h, w, c), computed as `compute` says. Throws badFrameSize if an s2d does
    /// not divide the size.
    /// `winogradWeights`: the model's shared transformed kernels.
    /// `frameSlots`: the first op (a conv) split by frame slot; the input is then one slot, (h, w, slot cin).
    init(_ weights: [LayerWeights], h: Int, w: Int, c: Int, eps: Float, frameSize: (Int, Int), multiple: Int,
         compute: ComputeOptions, winogradWeights: WinogradWeights? = nil,
         frameSlots: FrameSlots? = nil) throws(EngineError) {
        // First pass: shapes and the scratch size.
        Gemm.useCallerThreadOnly()
        let workers = compute.threads
        self.workers = workers
        let backend = compute.backend
        var shape = (h: h, w: w, c: frameSlots?.whole.cin ?? c)
        var scratchCount = 0
        var winograd = false             // some 3x3 conv runs by Winograd on the backend's sgemm
        let algorithm = compute.convAlgorithm
        for l in weights {
            switch l {
            case let .conv(cw):
                scratchCount = max(scratchCount, GemmConv.scratchCount(cw, h: shape.h, width: shape.w))
                winograd = winograd || algorithm.tile(cw, h: shape.h, width: shape.w, backend: backend) != nil
                shape.c = cw.cout
            case let .res(_, c1, _, c2):
                scratchCount = max(scratchCount, GemmConv.scratchCount(c1, h: shape.h, width: shape.w),
                                   GemmConv.scratchCount(c2, h: shape.h, width: shape.w))
                winograd = winograd || algorithm.tile(c1, h: shape.h, width: shape.w, backend: backend) != nil
                    || algorithm.tile(c2, h: shape.h, width: shape.w, backend: backend) != nil
            case let .s2d(f):
                guard shape.h % f == 0, shape.w % f == 0 else {
                    throw .badFrameSize(width: frameSize.0, height: frameSize.1, multiple: multiple)
                }
                shape = (shape.h / f, shape.w / f, shape.c * f * f)
            case let .d2s(f):
                shape = (shape.h * f, shape.w * f, shape.c / (f * f))
            case let .d2t(f):
                shape.c /= f
            case .norm, .silu: break
            }
        }
        // The sgemm's first-call set-up runs beside the rest of the build, which waits for it before it returns.
        let preparation = winograd ? Gemm.prepare(backend.gemmLibrary) : nil
        defer { _ = preparation?.value }
        scratch = backend == .openblas ? (0..<workers).map { _ in FloatBuffer(count: scratchCount) } : []
        let streams = backend == .onednn ? try OneDNNStreams(count: workers) : nil
        self.streams = streams
        let scratch = scratch
        var kernels: Set<String> = []
        // `rule`: the weights whose shape picks the algorithm (a frame slot runs its whole conv's).
        func conv(_ cw: ConvWeights, _ x: Frame, accumulates: Bool = false,
                  rule: ConvWeights? = nil) throws(EngineError) -> any CausalConvolution {
            if let tile = algorithm.tile(rule ?? cw, h: x.h, width: x.w, backend: backend) {
                let c = WinogradConv(cw, h: x.h, width: x.w, tile: tile, library: backend.gemmLibrary, workers: workers,
                                     shared: winogradWeights)
                kernels.insert(c.implementation)
                return c
            }
            guard let streams else {
                kernels.insert("im2col+sgemm")
                return GemmConv(cw, h: x.h, width: x.w, scratch: scratch)
            }
            let c = try OneDNNConv(cw, h: x.h, width: x.w, accumulates: accumulates, streams: streams)
            kernels.insert(c.implementation)
            return c
        }
        inputBuffer = FloatBuffer(count: h * w * c)
        input = Frame(h: h, w: w, c: c, data: inputBuffer.data)

        var x = input
        var i = 0
        if let frameSlots {
            let sum = alloc(x.h, x.w, frameSlots.whole.cout)
            for (dt, sw) in frameSlots.convs.enumerated() {
                slotConvs.append(try conv(sw, x, accumulates: dt > 0, rule: frameSlots.whole))
            }
            x = sum
            i = 1
        }
        var stage = Stage(input: x)
        while i < weights.count {
            let layer: any StreamLayer
            if case let .d2t(f) = weights[i] {
                stage.split = f
                stages.append(stage)
                stepsPerRun *= f
                x = alloc(x.h, x.w, x.c / f)
                stage = Stage(input: x)
                i += 1
                continue
            }
            switch weights[i] {
            case let .conv(cw):
                layer = ConvLayer(try conv(cw, x), out: alloc(x.h, x.w, cw.cout))
            case let .res(n1, c1, n2, c2):
                layer = ResLayer(norm1: n1, conv1: try conv(c1, x), norm2: n2,
                                 conv2: try conv(c2, x, accumulates: true),
                                 eps: eps, threads: workers, t1: alloc(x.h, x.w, x.c), t2: alloc(x.h, x.w, x.c), out: alloc(x.h, x.w, x.c))
            case let .norm(nw):
                var fuse = false
                if i + 1 < weights.count, case .silu = weights[i + 1] { fuse = true; i += 1 }
                layer = NormLayer(weight: nw, eps: eps, silu: fuse, threads: workers, frame: x)
            case .silu:
                layer = SiLULayer(threads: workers, frame: x)
            case let .s2d(f):
                layer = RearrangeLayer(f: f, toDepth: true, out: alloc(x.h / f, x.w / f, x.c * f * f))
            case let .d2s(f):
                layer = RearrangeLayer(f: f, toDepth: false, out: alloc(x.h * f, x.w * f, x.c / (f * f)))
            case .d2t:
                continue        // handled above
            }
            stage.layers.append(layer)
            x = layer.output
            i += 1
        }
        stages.append(stage)
        self.kernels = kernels
    }

    private func alloc(_ h: Int, _ w: Int, _ c: Int) -> Frame {
        let b = FloatBuffer(count: h * w * c)
        buffers.append(b)
        return Frame(h: h, w: w, c: c, data: b.data)
    }

    /// Adds frame slot dt's share of the first conv (input = that frame) to the first stage's input: slot 0
    /// starts the sum, slots 1 ..< t add in order. Only for a graph built with FrameSlots.
    func runSlot(_ dt: Int) {
        let sum = stages[0].input
        slotConvs[dt].forward(input, into: sum, residual: dt == 0 ? nil : sum)
    }

    /// Whether the first conv runs by frame slot (runSlot).
    var runsFrameSlots: Bool { !slotConvs.isEmpty }

    /// One input step: input -> `stepsPerRun` output steps, each handed to `emit(output, step)` in time order
    /// (step 0 ..< stepsPerRun) and valid only during that call.
    func run(_ emit: (Frame, Int) -> Void) {
        run(stage: 0, step: 0, emit)
    }

    /// One input step of a graph with no d2t: input -> output.
    func run() {
        run { _, _ in }
    }

    private func run(stage i: Int, step: Int, _ emit: (Frame, Int) -> Void) {
        let s = stages[i]
        var x = s.input
        for l in s.layers {
            l.forward(x)
            x = l.output
        }
        guard i + 1 < stages.count else { return emit(x, step) }
        let next = stages[i + 1].input
        for dt in 0..<s.split {
            Rearrange.depthToTime(x, f: s.split, dt: dt, into: next)
            run(stage: i + 1, step: step * s.split + dt, emit)
        }
    }

    /// Back to the start of a stream: every ring buffer to zeros.
    func reset() {
        for c in slotConvs { c.reset() }
        for s in stages { for l in s.layers { l.reset() } }
    }
}
