// The compute arguments of vtok_encoder_create / vtok_decoder_create, as the engine's ComputeOptions value the
// session is created with: per session, nothing process-wide is set, so sessions with different backends or
// thread counts are created and run in parallel. The conv algorithm is the engine's default (auto).

import Synchronization
import VtokEngine

struct SessionCompute {
    let options: ComputeOptions

    /// Checks the C arguments (backend: a vtok_backend; threads: 0 ... 1024, 0 for one per CPU this process
    /// may use).
    init(backend: Int32, threads: Int32) throws(CError) {
        let b: ComputeBackend
        switch backend {
        case 0: b = .onednn
        case 1: b = .openblas
        default: throw CError(.argument, "unknown backend \(backend) (0: onednn, 1: openblas)")
        }
        guard (0...1024).contains(threads) else {
            throw CError(.argument, "threads \(threads) must be 0 (one per core) ... 1024")
        }
        options = ComputeOptions(backend: b, threads: threads == 0 ? nil : Int(threads))
    }

    /// Runs `make` with these options, once the backend is known to work here. The backend is verified once per
    /// process (oneDNN generates kernels at run time, which a W^X policy forbids): a clear error instead of a
    /// crash.
    func apply<T>(_ make: (ComputeOptions) throws(EngineError) -> T) throws(CError) -> T {
        let backend = options.backend
        let problem: String = SessionCompute.verified.withLock { verified in
            if let known = verified[backend] { return known }
            var why = ""
            do throws(EngineError) { try Compute.verify(backend) } catch {
                why = "\(error)"
                if case let .backendFailed(message) = error { why = message }
                why = "the \(backend.rawValue) backend cannot run here: \(why)"
            }
            verified[backend] = why
            return why
        }
        if !problem.isEmpty { throw CError(.backend, problem) }
        do throws(EngineError) { return try make(options) } catch { throw CError(error) }
    }

    /// Per backend: "" when usable, else why not.
    private static let verified = Mutex<[ComputeBackend: String]>([:])
}
