// The only place the engine calls OpenBLAS. All GEMMs are row-major, no transposes:
// C (m, n) = A (m, k) * B (k, n) + beta * C. OpenBLAS itself runs single-threaded; the engine's workers
// (Parallel) run several GEMMs at once on bands of rows.

import COpenBLAS
import Synchronization

/// Threading control for the engine and the BLAS library it uses.
public enum Blas {
    /// OpenBLAS's own default (its thread count before the engine first set it to 1): the number of cores.
    private static let defaultThreads = Int(openblas_get_num_threads())
    private static let chosenThreads = Atomic<Int>(0)

    /// Sets how many threads the engine uses (process-wide; sessions created afterwards use it).
    public static func setThreads(_ n: Int) { chosenThreads.store(max(1, n), ordering: .relaxed) }

    /// Threads the engine uses: setThreads's value, or the number of cores.
    public static var threads: Int {
        let n = chosenThreads.load(ordering: .relaxed)
        return n > 0 ? n : max(1, defaultThreads)
    }

    /// Makes OpenBLAS run each call on the calling thread (the engine's workers provide the parallelism).
    static func useCallerThreadOnly() {
        _ = defaultThreads
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
    }

    /// The kernel family OpenBLAS chose at load (e.g. "Haswell", "SkylakeX").
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// A faster OPENBLAS_CORETYPE for this CPU than the one OpenBLAS picked, or nil. OpenBLAS reads that variable
    /// only when the library loads, so a program that wants it must set it and re-exec itself (see the CLI).
    public static var preferredCoreType: String? {
        let core = coreName.lowercased()
        guard vtok_cpu_has_avx512_skylakex() != 0, ["haswell", "zen"].contains(core) else { return nil }
        return "SKYLAKEX"
    }

    /// C (m, n) = A (m, k) * B (k, n) + beta * C, all row-major and densely packed.
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, beta: Float) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(n), beta, c, Int32(n))
    }
}
