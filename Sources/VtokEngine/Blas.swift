// The only place the engine calls OpenBLAS. All GEMMs are row-major, no transposes:
// C (m, n) = A (m, k) * B (k, n) + beta * C.

import COpenBLAS

/// Threading control for the BLAS library the engine uses.
public enum Blas {
    /// Sets how many threads OpenBLAS uses (process-wide).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// Threads OpenBLAS currently uses.
    public static var threads: Int { Int(openblas_get_num_threads()) }

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
