// Compute options passed with each session. The engine's Compute settings are process-wide and read when a
// session is created (a session keeps them), so creation runs under one lock: set backend and threads, build the
// session, restore the previous settings, release. Sessions then run in parallel, each with the options it was created with.

import Synchronization
import VtokEngine

struct SessionCompute {
    let backend: ComputeBackend
    /// 0: one per core, as the CLI.
    let threads: Int

    /// Checks the C arguments (backend: a vtok_backend; threads: 0 ... 1024).
    init(backend: Int32, threads: Int32) throws(CError) {
        switch backend {
        case 0: self.backend = .onednn
        case 1: self.backend = .openblas
        default: throw CError(.argument, "unknown backend \(backend) (0: onednn, 1: openblas)")
        }
        guard (0...1024).contains(threads) else {
            throw CError(.argument, "threads \(threads) must be 0 (one per core) ... 1024")
        }
        self.threads = Int(threads)
    }

    /// Runs `make` with the engine's Compute set to these options. The backend is verified once per process
    /// (oneDNN generates kernels at run time, which a W^X policy forbids): a clear error instead of a crash.
    func apply<T>(_ make: () throws(EngineError) -> T) throws(CError) -> T {
        let outcome: Result<T, CError> = SessionCompute.lock.withLock { state in
            if state.coreThreads == 0 { state.coreThreads = Compute.threads }   // before any setThreads
            if state.verified[backend] == nil {
                do throws(EngineError) { try Compute.verify(backend); state.verified[backend] = "" } catch {
                    var why = "\(error)"
                    if case let .backendFailed(message) = error { why = message }
                    state.verified[backend] = "the \(backend.rawValue) backend cannot run here: \(why)"
                }
            }
            if let problem = state.verified[backend], !problem.isEmpty { return .failure(CError(.backend, problem)) }
            // Set for this creation only: a host that also uses the engine directly keeps its own settings.
            let (oldBackend, oldThreads) = (Compute.backend, Compute.threads)
            defer {
                Compute.setBackend(oldBackend)
                Compute.setThreads(oldThreads)
            }
            Compute.setBackend(backend)
            Compute.setThreads(threads == 0 ? state.coreThreads : threads)
            do throws(EngineError) { return .success(try make()) } catch { return .failure(CError(error)) }
        }
        return try outcome.get()
    }

    private struct State {
        var coreThreads = 0
        var verified: [ComputeBackend: String] = [:]     // "" when usable, else why not
    }

    private static let lock = Mutex(State())
}
