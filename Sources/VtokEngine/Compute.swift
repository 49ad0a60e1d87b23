// Which library runs the engine's convolutions, and on how many threads. Both settings are process-wide; a
// session takes the values current when it is created and keeps them.
//
//   onednn    oneDNN 2.6 convolution primitives (Debian libdnnl2), weights reordered once into the layout the
//             chosen kernel wants, one primitive per band of rows and temporal tap (OneDNNConv). The default:
//             on the development machine it is 1.8x (encode) and 2.1x (decode) the OpenBLAS path
//             (docs/performance.md).
//   openblas  im2col + cblas_sgemm from OpenBLAS (Debian libopenblas0), kernels chosen by OpenBLAS at load
//             (GemmConv).
//
// Tokens are bit-identical for a given backend, frame size and model, whatever the thread count or chunking.
// The two backends differ in the last bits of the latents, each within the parity tolerances against PyTorch.

import Synchronization

/// A library that runs the engine's convolutions.
public enum ComputeBackend: String, CaseIterable, Sendable, Codable {
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

public enum Compute {
    private static let chosenThreads = Atomic<Int>(0)
    private static let chosenBackend = Atomic<Int>(0)      // index into ComputeBackend.allCases

    /// Sets how many threads sessions created afterwards use.
    public static func setThreads(_ n: Int) { chosenThreads.store(max(1, n), ordering: .relaxed) }

    /// Threads sessions use: setThreads's value, or the number of cores.
    public static var threads: Int {
        let n = chosenThreads.load(ordering: .relaxed)
        return n > 0 ? n : max(1, Gemm.coreCount)
    }

    /// Sets the library for sessions created afterwards.
    public static func setBackend(_ b: ComputeBackend) {
        chosenBackend.store(ComputeBackend.allCases.firstIndex(of: b) ?? 0, ordering: .relaxed)
    }

    /// The library sessions created now use: setBackend's value, or oneDNN.
    public static var backend: ComputeBackend { ComputeBackend.allCases[chosenBackend.load(ordering: .relaxed)] }
}
