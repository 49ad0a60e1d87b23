// The only place the engine calls a BLAS-like library. Every GEMM is row-major with no transposes:
// C (m, n) = A (m, k) * B (k, n) + beta * C, run single-threaded on the calling thread; the engine's workers
// (Parallel) run several at once on bands of rows. Two libraries can run them: oneDNN (the default: on the
// development machine its sgemm is 1.1-2.2x OpenBLAS's on every shape the model uses, docs/performance.md) and
// OpenBLAS. Tokens are bit-identical for a given library, thread count and chunking; the two libraries differ
// in the last bits of the latents (each within the parity tolerances against PyTorch).

import COneDNN
import COpenBLAS
import Synchronization

/// A library that runs the engine's GEMMs.
public enum GemmBackend: String, CaseIterable, Sendable, Codable {
    /// oneDNN's `dnnl_sgemm` (Debian libdnnl2): JIT kernels for the CPU it runs on, AVX-512 where present.
    case onednn
    /// OpenBLAS's `cblas_sgemm` (Debian libopenblas0): kernels chosen at load time (OPENBLAS_CORETYPE).
    case openblas

    /// The library and the kernels or version it runs, e.g. "oneDNN 2.6.3" or "OpenBLAS Haswell".
    public var description: String {
        switch self {
        case .onednn:
            guard let v = dnnl_version() else { return "oneDNN" }
            return "oneDNN \(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
        case .openblas:
            return "OpenBLAS \(Gemm.openBLASCore)"
        }
    }
}

/// Which library runs the engine's GEMMs and on how many threads. Both are process-wide; a session takes
/// the values current when it is created.
public enum Gemm {
    /// OpenBLAS's own default (its thread count before the engine first set it to 1): the number of cores.
    private static let defaultThreads = Int(openblas_get_num_threads())
    private static let chosenThreads = Atomic<Int>(0)
    private static let chosenBackend = Atomic<Int>(0)      // index into GemmBackend.allCases

    /// Sets how many threads the engine uses (sessions created afterwards use it).
    public static func setThreads(_ n: Int) { chosenThreads.store(max(1, n), ordering: .relaxed) }

    /// Threads the engine uses: setThreads's value, or the number of cores.
    public static var threads: Int {
        let n = chosenThreads.load(ordering: .relaxed)
        return n > 0 ? n : max(1, defaultThreads)
    }

    /// Sets the library for sessions created afterwards.
    public static func setBackend(_ b: GemmBackend) {
        chosenBackend.store(GemmBackend.allCases.firstIndex(of: b) ?? 0, ordering: .relaxed)
    }

    /// The library sessions created now use: setBackend's value, or oneDNN.
    public static var backend: GemmBackend { GemmBackend.allCases[chosenBackend.load(ordering: .relaxed)] }

    /// Makes OpenBLAS run each call on the calling thread (the engine's workers provide the parallelism).
    /// oneDNN is told per call (vtok_dnnl_sgemm).
    static func useCallerThreadOnly() {
        _ = defaultThreads
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
    }

    /// The kernel family OpenBLAS chose at load (e.g. "Haswell", "SkylakeX").
    public static var openBLASCore: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// A faster OPENBLAS_CORETYPE for this CPU than the one OpenBLAS picked, or nil. OpenBLAS reads that variable
    /// only when the library loads.
    public static var preferredOpenBLASCore: String? {
        let core = openBLASCore.lowercased()
        guard vtok_cpu_has_avx512_skylakex() != 0, ["haswell", "zen"].contains(core) else { return nil }
        return "SKYLAKEX"
    }

    /// C (m, n) = A (m, k) * B (k, n) + beta * C, all row-major and densely packed, on the calling thread.
    static func run(_ backend: GemmBackend, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, beta: Float) {
        switch backend {
        case .onednn:
            // Arguments are valid by construction (positive sizes, dense leading dimensions, non-null buffers),
            // the only things dnnl_sgemm checks.
            let status = vtok_dnnl_sgemm(m, n, k, a, b, c, beta)
            precondition(status == 0, "dnnl_sgemm failed with status \(status) for m \(m) n \(n) k \(k)")
        case .openblas:
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                        1, a, Int32(k), b, Int32(n), beta, c, Int32(n))
        }
    }
}
