// sgemm from either library, always row-major with no transposes: C (m, n) = A (m, k) * B (k, n) + beta * C,
// run single-threaded on the calling thread (a session's workers run several at once). GemmConv runs its
// convolutions on OpenBLAS's, WinogradConv on its backend's library's; `vtok bench` measures both libraries'
// peak with it (VtokBench).

import COneDNN
import COpenBLAS
import Glibc
import Synchronization

/// A library whose sgemm the engine calls. Not the same notion as ComputeBackend (the library that runs a
/// session's convolutions): the benchmark measures every GEMM library whatever the backend.
public enum GemmLibrary: String, CaseIterable, Sendable, Codable {
    case onednn
    case openblas

    /// The library and its version or kernels, e.g. "oneDNN 2.6.3" or "OpenBLAS Haswell".
    public var description: String {
        switch self {
        case .onednn: return "oneDNN \(OneDNN.version)"
        case .openblas: return "OpenBLAS \(Gemm.openBLASCore)"
        }
    }
}

public enum Gemm {
    /// Makes OpenBLAS run each call on the calling thread (a setting of the OpenBLAS library, process-wide, and
    /// the only one the engine uses). oneDNN is told per call (vtok_dnnl_sgemm).
    /// Also stops the worker threads OpenBLAS started when it loaded: each spins on sched_yield for about 0.1 s
    /// before it sleeps (OpenBLAS's THREAD_TIMEOUT), which took the second core from start-up's work (a profile
    /// of `vtok encode one.png` on a 2-core Zen 3: 110 ms of a core). Call it early; later calls cost nothing.
    public static func useCallerThreadOnly() { _ = callerThreadOnly }

    private static let callerThreadOnly: Void = {
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
        // blas_thread_shutdown_ is exported by OpenBLAS's pthread builds (its fork handler uses it), absent from
        // the serial and OpenMP ones; the library is the one this module links, looked up by its soname. A
        // later multi-threaded call (another user of the library in this process) restarts the threads.
        guard let library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD),
              let symbol = dlsym(library, "blas_thread_shutdown_") else { return }
        typealias Shutdown = @convention(c) () -> Int32
        _ = unsafeBitCast(symbol, to: Shutdown.self)()
        dlclose(library)                                  // the NOLOAD reference only; the library stays
    }()

    /// Starts, once per process and on another thread, the set-up a library does on its first sgemm call, so
    /// that it overlaps the rest of a session's build instead of delaying the session's first GEMM. oneDNN
    /// generates its sgemm kernels then: 17-21 ms of one core of a Zen 3, which the first latent frame of every
    /// process paid (a live encode's first latent 36-46 ms against 16-18 ms for the next session's first).
    /// OpenBLAS has no such set-up (nil). The caller waits for the result (`value`) before it returns: no thread
    /// may be inside oneDNN when the process exits, whose static destructors free the kernels being made
    /// (a crash at exit, found with a decode that failed at once). A GEMM called meanwhile waits inside the
    /// library for the same set-up.
    static func prepare(_ library: GemmLibrary) -> BackgroundValue<Bool>? {
        library == .onednn ? oneDNNPreparation : nil
    }

    /// Whether oneDNN's preparation has been started in this process; for tests.
    static var oneDNNPreparationStarted: Bool { preparationStarted.load(ordering: .acquiring) }

    /// Whether the preparation ran and its product was right, once it has finished (waits for it); for tests.
    static var oneDNNPrepared: Bool { oneDNNPreparation.value }

    private static let preparationStarted = Atomic<Bool>(false)

    private static let oneDNNPreparation = BackgroundValue<Bool> {
        preparationStarted.store(true, ordering: .releasing)
        // C (2, 2) = A (2, 3) * B (3, 2): the call that makes oneDNN generate its kernels, checked.
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 0, 0, 1, 1, 1]
        var c = [Float](repeating: -1, count: 4)
        let status = c.withUnsafeMutableBufferPointer { c in vtok_dnnl_sgemm(2, 2, 3, a, b, c.baseAddress!, 0) }
        return status == 0 && c == [4, 5, 10, 11]
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

    /// C (m, n) = A (m, k) * B (k, n) + beta * C, all row-major and densely packed, on the calling thread
    /// (call useCallerThreadOnly() first). m, n, k > 0 and each buffer holds its matrix.
    public static func run(_ library: GemmLibrary, m: Int, n: Int, k: Int, a: UnsafePointer<Float>,
                    b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, beta: Float) {
        switch library {
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
