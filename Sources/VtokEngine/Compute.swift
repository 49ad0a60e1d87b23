// Which library runs a session's convolutions, and how 3x3 convolutions are computed. A session is given both,
// with its thread count, as one ComputeOptions value when it is created and keeps them; nothing here is
// process-wide state.
//
//   onednn    oneDNN 2.6 convolution primitives (Debian libdnnl2), weights reordered once into the layout the
//             chosen kernel wants, one primitive per band of rows and temporal tap (OneDNNConv). The default:
//             on the development machine it is 1.8x (encode) and 2.1x (decode) the OpenBLAS path on AVX2
//             kernels, 1.2x on OpenBLAS's autodetected AVX-512 ones (docs/performance.md).
//   openblas  im2col + cblas_sgemm from OpenBLAS (Debian libopenblas0), kernels chosen by OpenBLAS at load
//             (GemmConv).
//
// 3x3 convolutions wide enough for it run as Winograd F(4x4,3x3) or F(2x2,3x3) on the sgemm of the backend's
// library (WinogradConv, ConvAlgorithm.auto): 4x or 2.25x fewer multiplies (docs/performance.md).
//
// Tokens are bit-identical for a given backend, algorithm, frame size and model, whatever the thread count or
// chunking. The two backends differ in the last bits of the latents, each within the parity tolerances against
// PyTorch.

import COpenBLAS
import Glibc

/// The library that runs a session's convolutions (`--backend`).
public enum ComputeBackend: String, CaseIterable, Sendable, Codable {
    case onednn
    case openblas

    /// The library and its version or kernels, e.g. "oneDNN 2.6.3" or "OpenBLAS Haswell".
    public var description: String { gemmLibrary.description }

    /// The library whose sgemm this backend's Winograd layers run on: its own.
    public var gemmLibrary: GemmLibrary {
        switch self {
        case .onednn: return .onednn
        case .openblas: return .openblas
        }
    }
}

/// How 3x3 convolutions are computed. `auto` picks, per layer shape, Winograd F(4x4,3x3) or F(2x2,3x3)
/// (WinogradConv) for layers wide enough that their GEMMs run near the library's peak, and the backend's direct
/// convolution otherwise; `winograd` and `winograd4x4` force one rule on every 3x3 layer.
public enum ConvAlgorithm: String, CaseIterable, Sendable {
    case auto
    case direct
    /// F(2x2,3x3) for every 3x3 layer.
    case winograd
    /// F(4x4,3x3) for every 3x3 layer.
    case winograd4x4

    /// The Winograd rule a conv with these weights over an h x width frame runs on `backend`, or nil for direct
    /// convolution. The rule depends on the layer's shape, the backend and the instruction set oneDNN runs (never
    /// on timings), so the choice, and the results, are the same on every run on a machine.
    ///
    /// auto: layers with GEMM depth kt*cin >= 64 and cout >= 32 run Winograd, the others direct; F(4x4) on
    /// frames of at least 16x16 (2 bands of 4x4 tiles: GEMMs of >= 32 rows), F(2x2) on smaller ones. Where
    /// oneDNN runs AVX-512 kernels, its direct convolution beats both rules for cout < 64, so Winograd starts at
    /// cout 64 there. Measured per layer shape of the released and second-generation models at 64x64, 128x128
    /// and 256x256 with `vtok bench --layers`, AVX-512 and AVX2-only (docs/performance.md).
    func tile(_ w: ConvWeights, h: Int, width: Int, backend: ComputeBackend) -> WinogradTile? {
        guard w.ks == 3 else { return nil }
        switch self {
        case .direct: return nil
        case .winograd: return .f2x2
        case .winograd4x4: return .f4x4
        case .auto:
            let minimumCout = backend == .onednn && OneDNN.hasAVX512Kernels ? Self.minimumCoutAVX512 : Self.minimumCout
            guard w.cin * w.kt >= Self.minimumK, w.cout >= minimumCout else { return nil }
            return min(h, width) >= Self.minimumSide4x4 ? .f4x4 : .f2x2
        }
    }

    static let minimumK = 64
    static let minimumCout = 32
    static let minimumCoutAVX512 = 64
    static let minimumSide4x4 = 16
}

/// Facts about this process that compute choices depend on. Stateless.
public enum Compute {
    /// The CPUs this process may run on (sched_getaffinity: taskset, cgroups' cpusets, systemd's CPUAffinity=),
    /// not a BLAS library's environment variable. Falls back to the online CPU count.
    public static var availableCores: Int {
        let n = Int(vtok_available_cpus())
        return n > 0 ? n : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Checks that `backend` can build and run a convolution in this process, so a command can fail at start
    /// with a clear reason instead of at its first session. oneDNN generates its kernels at run time, which a
    /// W^X policy (systemd's MemoryDenyWriteExecute=yes, PR_SET_MDWE) forbids. Costs a few milliseconds.
    public static func verify(_ backend: ComputeBackend) throws(EngineError) {
        guard backend == .onednn else { return }
        // A 3x3 conv 16 -> 16 over 8x8 and 2 frames: large enough that oneDNN picks its JIT kernels, as for the model.
        let (c, side) = (16, 8)
        let weight = FloatBuffer((0..<(2 * 9 * c * c)).map { Float($0 % 7) * 0.125 })
        let conv = try OneDNNConv(ConvWeights(cin: c, cout: c, kt: 2, ks: 3, weight: weight,
                                              bias: FloatBuffer(count: c)),
                                  h: side, width: side, accumulates: false, streams: try OneDNNStreams(count: 1))
        let x = FloatBuffer([Float](repeating: 1, count: side * side * c)), out = FloatBuffer(count: side * side * c)
        conv.forward(Frame(h: side, w: side, c: c, data: x.data), into: Frame(h: side, w: side, c: c, data: out.data))
        // Centre pixel, current frame only (the past is zeros): sum over 3x3 taps of dt = 1 and all cin.
        var want: Float = 0
        for tap in 0..<9 { for ci in 0..<c { want += weight.data[((9 + tap) * c + ci) * c] } }
        let got = out.data[(3 * side + 3) * c]
        guard abs(got - want) <= 1e-4 * abs(want) else {
            throw .backendFailed("oneDNN's convolution gave \(got) where \(want) was expected")
        }
    }
}
