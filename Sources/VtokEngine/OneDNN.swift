// What every oneDNN convolution shares: the process's CPU engine, one stream per worker, checked calls and
// memory descriptors for the engine's layouts (frames channels-last, weights as exported).

import COneDNN

enum OneDNN {
    /// The CPU engine, created on first use (nil if oneDNN cannot create one).
    nonisolated(unsafe) static let engine: dnnl_engine_t? = {
        var e: dnnl_engine_t?
        return dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success ? e : nil
    }()

    /// "major.minor.patch" of the loaded library.
    static var version: String {
        guard let v = dnnl_version()?.pointee else { return "unknown" }
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// Whether oneDNN runs AVX-512 kernels in this process (the CPU has them and ONEDNN_MAX_CPU_ISA allows them).
    static var hasAVX512Kernels: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue, avx512 = dnnl_cpu_isa_avx512_core.rawValue
        return isa & avx512 == avx512
    }

    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws(EngineError) {
        guard status == dnnl_success else { throw .backendFailed("oneDNN could not \(what()): \(name(status))") }
    }

    static func name(_ status: dnnl_status_t) -> String {
        switch status {
        case dnnl_out_of_memory: return "out of memory"
        case dnnl_invalid_arguments: return "invalid arguments"
        case dnnl_unimplemented: return "no implementation"
        case dnnl_runtime_error: return "runtime error (kernel generation or execution failed)"
        default: return "status \(status.rawValue)"
        }
    }

    static func requireEngine() throws(EngineError) -> dnnl_engine_t {
        guard let engine else { throw .backendFailed("oneDNN could not create a CPU engine") }
        return engine
    }

    /// Dense f32 descriptor with the given dims and format tag.
    static func desc(_ dims: [Int], _ tag: dnnl_format_tag_t) throws(EngineError) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map(Int64.init), dnnl_f32, tag),
                  "describe a \(dims) tensor")
        return md
    }

    /// A frame of rows x width x c floats, channels-last: oneDNN's (1, c, rows, width) in nhwc.
    static func frameDesc(c: Int, rows: Int, width: Int) throws(EngineError) -> dnnl_memory_desc_t {
        try desc([1, c, rows, width], dnnl_nhwc)
    }

    /// One temporal tap of an exported conv weight, (ks, ks, cin, cout) row-major, as oneDNN's (cout, cin, ks, ks).
    static func exportedWeightDesc(cin: Int, cout: Int, ks: Int) throws(EngineError) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let dims = [cout, cin, ks, ks].map(Int64.init)
        let strides = [1, cout, ks * cin * cout, cin * cout].map(Int64.init)
        try check(dnnl_memory_desc_init_by_strides(&md, 4, dims, dnnl_f32, strides), "describe a conv weight")
        return md
    }
}

/// One oneDNN stream per engine worker: a worker runs its primitives on its own stream.
final class OneDNNStreams {
    let streams: [dnnl_stream_t]

    init(count: Int) throws(EngineError) {
        let engine = try OneDNN.requireEngine()
        var made: [dnnl_stream_t] = []
        for _ in 0..<max(1, count) {
            var s: dnnl_stream_t?
            guard dnnl_stream_create(&s, engine, UInt32(dnnl_stream_default_flags.rawValue)) == dnnl_success,
                  let s else {
                for m in made { dnnl_stream_destroy(m) }
                throw .backendFailed("oneDNN could not create a stream")
            }
            made.append(s)
        }
        streams = made
    }

    var count: Int { streams.count }

    deinit { for s in streams { dnnl_stream_destroy(s) } }
}
