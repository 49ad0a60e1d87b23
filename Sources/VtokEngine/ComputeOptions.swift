// How one session computes: the convolution library, its thread count and the 3x3 algorithm, as one value.
// The CLI builds it from --backend/--threads/--conv, the C API from its per-session arguments; each session
// keeps the value it was created with, so sessions with different options run side by side in one process.

/// A session's compute settings (`EncoderSession(..., compute:)`, `DecoderSession(..., compute:)`).
public struct ComputeOptions: Sendable, Hashable, CustomStringConvertible {
    /// The library that runs the convolutions.
    public var backend: ComputeBackend
    /// The session's workers, at least 1: each convolution's bands are taken by up to this many at once, each
    /// with its own scratch (and oneDNN stream); the libraries themselves run single-threaded on each band.
    /// The band split depends on the frame size only, so results never depend on this number.
    public var threads: Int {
        didSet { threads = max(1, threads) }
    }
    /// How 3x3 convolutions are computed.
    public var convAlgorithm: ConvAlgorithm

    /// `threads` nil (the default): the CPUs this process may use (Compute.availableCores).
    public init(backend: ComputeBackend = .onednn, threads: Int? = nil, convAlgorithm: ConvAlgorithm = .auto) {
        self.backend = backend
        self.threads = max(1, threads ?? Compute.availableCores)
        self.convAlgorithm = convAlgorithm
    }

    /// oneDNN, one thread per available CPU, `auto` 3x3 convolutions.
    public static var `default`: ComputeOptions { ComputeOptions() }

    public var description: String { "\(backend.rawValue), \(threads) threads, \(convAlgorithm.rawValue) 3x3 convolutions" }
}
