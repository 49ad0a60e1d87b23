// The oneDNN backend of a causal conv: direct convolution primitives, no im2col. The frame is cut into bands
// of image rows (rowsPerBand, from the frame size only); each band has one primitive per temporal tap dt, run
// on the band's rows of input frame t-(kt-1)+dt (from the ConvHistory, plus the halo rows the kernel needs)
// with that tap's weights. Tap 0 adds the bias; later taps (and tap 0 when a residual is added) accumulate into
// the output with a sum post-op. Every primitive is created single-threaded and runs on one worker, and the
// band split ignores the worker count, so results are bit-identical for any thread count or chunking.
// Weights are reordered once, at init, into the layout each primitive's kernel asks for.

import COneDNN

final class OneDNNConv: CausalConvolution {
    let w: ConvWeights
    let h: Int
    let width: Int
    let accumulates: Bool           // forward adds a residual (built with a sum post-op on tap 0)
    let history: ConvHistory
    let rowsPerBand: Int
    /// The kernel oneDNN chose, e.g. "brgconv:avx512_core".
    let implementation: String
    private let streams: OneDNNStreams
    private var bands: [Band] = []
    private let owned = Owned()

    /// One band of output rows y0..<y1 and its primitives, one per temporal tap.
    private struct Band {
        let y0: Int
        let y1: Int
        let srcTop: Int             // first input row the primitives read (y0 - pad, clamped)
        let taps: [Tap]
    }

    private struct Tap {
        let primitive: dnnl_primitive_t
        let src: dnnl_memory_t      // (1, cin, srcRows, width) nhwc; handle set per call
        let dst: dnnl_memory_t      // (1, cout, y1-y0, width) nhwc; handle set per call
        let args: UnsafeMutablePointer<dnnl_exec_arg_t>
        let argCount: Int32
    }

    /// Rows per band: about 8 (the kernels run best on a few rows that stay in cache), and at least 4 bands
    /// when the frame has 4 rows, so workers share a frame evenly. Depends on the frame height only.
    static func rows(h: Int) -> Int {
        let bands = max(min(h, 4), (h + 7) / 8)
        return (h + bands - 1) / bands
    }

    init(_ w: ConvWeights, h: Int, width: Int, accumulates: Bool, streams: OneDNNStreams) throws(EngineError) {
        self.w = w
        self.h = h
        self.width = width
        self.accumulates = accumulates
        self.streams = streams
        history = ConvHistory(kt: w.kt, frameCount: h * width * w.cin)
        rowsPerBand = Self.rows(h: h)
        vtok_omp_use_calling_thread_only()
        let engine = try OneDNN.requireEngine()
        let pad = w.ks / 2

        var biasDesc = try OneDNN.desc([w.cout], dnnl_x)
        let bias = try owned.memory(&biasDesc, engine, handle: w.bias.data)
        var userWeightDesc = try OneDNN.exportedWeightDesc(cin: w.cin, cout: w.cout, ks: w.ks)
        var anyWeightDesc = try OneDNN.desc([w.cout, w.cin, w.ks, w.ks], dnnl_format_tag_any)
        var reordered: [[(desc: dnnl_memory_desc_t, memory: dnnl_memory_t)]] = Array(repeating: [], count: w.kt)
        var implementation = ""

        var y0 = 0
        while y0 < h {
            let y1 = min(h, y0 + rowsPerBand)
            let srcTop = max(0, y0 - pad), srcBottom = min(h, y1 + pad)
            var srcDesc = try OneDNN.frameDesc(c: w.cin, rows: srcBottom - srcTop, width: width)
            var dstDesc = try OneDNN.frameDesc(c: w.cout, rows: y1 - y0, width: width)
            let padL = [y0 == 0 ? pad : 0, pad].map(Int64.init), padR = [y1 == h ? pad : 0, pad].map(Int64.init)
            var taps: [Tap] = []
            for dt in 0..<w.kt {
                let withBias = dt == 0, sum = dt > 0 || accumulates
                var cd = dnnl_convolution_desc_t()
                try OneDNN.check(withUnsafePointer(to: &biasDesc) { bp in
                    dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &srcDesc,
                                                       &anyWeightDesc, withBias ? bp : nil, &dstDesc,
                                                       [1, 1], padL, padR)
                }, "describe a \(w.ks)x\(w.ks) conv \(w.cin)->\(w.cout) on \(y1 - y0)x\(width)")
                let pd = try Self.primitiveDesc(&cd, sum: sum, engine: engine)
                defer { dnnl_primitive_desc_destroy(pd) }
                if implementation.isEmpty {
                    var info: UnsafePointer<CChar>?
                    if dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info) == dnnl_success, let info {
                        implementation = String(cString: info)
                    }
                }

                // Weights of tap dt in the layout this primitive wants: reordered once, shared by bands that agree.
                guard var want = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)?.pointee else {
                    throw .backendFailed("oneDNN gave no weights layout")
                }
                let weights: dnnl_memory_t
                if let hit = reordered[dt].first(where: { entry in
                    var d = entry.desc
                    return dnnl_memory_desc_equal(&d, &want) != 0
                }) {
                    weights = hit.memory
                } else {
                    let tapWeights = w.weight.data + dt * w.ks * w.ks * w.cin * w.cout
                    weights = try owned.reorder(from: &userWeightDesc, tapWeights, to: &want, engine: engine,
                                                stream: streams.streams[0])
                    reordered[dt].append((want, weights))
                }

                let src = try owned.memory(&srcDesc, engine, handle: nil)
                let dst = try owned.memory(&dstDesc, engine, handle: nil)
                var list: [dnnl_exec_arg_t] = [
                    dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: src),
                    dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weights),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dst),
                ]
                if withBias { list.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: bias)) }
                if var scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)?.pointee,
                   dnnl_memory_desc_get_size(&scratch) > 0 {
                    let buffer = owned.buffer(bytes: dnnl_memory_desc_get_size(&scratch))
                    list.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD,
                                                memory: try owned.memory(&scratch, engine, handle: buffer)))
                }
                var primitive: dnnl_primitive_t?
                try OneDNN.check(dnnl_primitive_create(&primitive, pd), "create a conv primitive")
                guard let primitive else { throw .backendFailed("oneDNN returned no primitive") }
                owned.primitives.append(primitive)
                let args = owned.args(list)
                taps.append(Tap(primitive: primitive, src: src, dst: dst, args: args, argCount: Int32(list.count)))
            }
            bands.append(Band(y0: y0, y1: y1, srcTop: srcTop, taps: taps))
            y0 = y1
        }
        self.implementation = implementation
    }

    /// A forward-inference primitive descriptor with a user scratchpad and, if `sum`, an accumulating output.
    private static func primitiveDesc(_ cd: inout dnnl_convolution_desc_t, sum: Bool,
                                      engine: dnnl_engine_t) throws(EngineError) -> dnnl_primitive_desc_t {
        var attr: dnnl_primitive_attr_t?
        try OneDNN.check(dnnl_primitive_attr_create(&attr), "create primitive attributes")
        defer { dnnl_primitive_attr_destroy(attr) }
        try OneDNN.check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "set scratchpad mode")
        if sum {
            var ops: dnnl_post_ops_t?
            try OneDNN.check(dnnl_post_ops_create(&ops), "create post-ops")
            defer { dnnl_post_ops_destroy(ops) }
            try OneDNN.check(dnnl_post_ops_append_sum(ops, 1), "append a sum post-op")
            try OneDNN.check(dnnl_primitive_attr_set_post_ops(attr, ops), "set post-ops")
        }
        var pd: dnnl_primitive_desc_t?
        try OneDNN.check(dnnl_primitive_desc_create(&pd, &cd, attr, engine, nil), "find a conv implementation")
        guard let pd else { throw .backendFailed("oneDNN returned no primitive descriptor") }
        return pd
    }

    func reset() { history.reset() }

    func forward(_ x: Frame, into out: Frame, residual: Frame?) {
        precondition((residual != nil) == accumulates, "OneDNNConv built with accumulates \(accumulates)")
        let cin = w.cin, cout = w.cout, width = width
        Parallel.forEachDynamic(bands.count, workers: streams.count) { b, worker in
            vtok_omp_use_calling_thread_only()
            let band = bands[b], stream = streams.streams[worker]
            let dst = out.data + band.y0 * width * cout
            if let residual, residual.data != out.data {       // out may hold the residual already (a frame slot)
                dst.update(from: residual.data + band.y0 * width * cout, count: (band.y1 - band.y0) * width * cout)
            }
            for (dt, tap) in band.taps.enumerated() {
                let src = history.frame(dt, current: x.data) + band.srcTop * width * cin
                dnnl_memory_set_data_handle(tap.src, src)
                dnnl_memory_set_data_handle(tap.dst, dst)
                let status = dnnl_primitive_execute(tap.primitive, stream, tap.argCount, tap.args)
                precondition(status == dnnl_success, "dnnl_primitive_execute failed: \(status.rawValue)")
            }
        }
        history.push(x.data)
    }
}

/// Everything a OneDNNConv creates through the C API, released together.
private final class Owned {
    var primitives: [dnnl_primitive_t] = []
    var memories: [dnnl_memory_t] = []
    var buffers: [UnsafeMutableRawPointer] = []
    var argLists: [UnsafeMutablePointer<dnnl_exec_arg_t>] = []

    func memory(_ desc: inout dnnl_memory_desc_t, _ engine: dnnl_engine_t,
                handle: UnsafeMutableRawPointer?) throws(EngineError) -> dnnl_memory_t {
        var m: dnnl_memory_t?
        try OneDNN.check(dnnl_memory_create(&m, &desc, engine, handle), "create a memory object")
        guard let m else { throw .backendFailed("oneDNN returned no memory object") }
        memories.append(m)
        return m
    }

    func buffer(bytes: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
        buffers.append(p)
        return p
    }

    func args(_ list: [dnnl_exec_arg_t]) -> UnsafeMutablePointer<dnnl_exec_arg_t> {
        let p = UnsafeMutablePointer<dnnl_exec_arg_t>.allocate(capacity: list.count)
        p.initialize(from: list, count: list.count)
        argLists.append(p)
        return p
    }

    /// A new memory object in layout `to` holding the data at `data` (layout `from`).
    func reorder(from: inout dnnl_memory_desc_t, _ data: UnsafeMutablePointer<Float>, to: inout dnnl_memory_desc_t,
                 engine: dnnl_engine_t, stream: dnnl_stream_t) throws(EngineError) -> dnnl_memory_t {
        let src = try memory(&from, engine, handle: data)
        let dst = try memory(&to, engine, handle: buffer(bytes: dnnl_memory_desc_get_size(&to)))
        var pd: dnnl_primitive_desc_t?
        try OneDNN.check(dnnl_reorder_primitive_desc_create(&pd, &from, engine, &to, engine, nil), "reorder weights")
        defer { dnnl_primitive_desc_destroy(pd) }
        var reorder: dnnl_primitive_t?
        try OneDNN.check(dnnl_primitive_create(&reorder, pd), "create a weights reorder")
        defer { dnnl_primitive_destroy(reorder) }
        let args = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: src), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: dst)]
        try OneDNN.check(dnnl_primitive_execute(reorder, stream, 2, args), "run a weights reorder")
        try OneDNN.check(dnnl_stream_wait(stream), "wait for a weights reorder")
        return dst
    }

    deinit {
        for p in primitives { dnnl_primitive_destroy(p) }
        for m in memories { dnnl_memory_destroy(m) }
        for b in buffers { b.deallocate() }
        for a in argLists { a.deallocate() }
    }
}
