// --model, --backend, --threads and --conv, shared by every command that loads weights.
import ArgumentParser
import VtokEngine

struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Weights file (.safetensors). Default: the released model.",
                                            valueName: "path"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Convolution library: onednn, or openblas (im2col + sgemm).",
                                            valueName: "library"))
    var backend: ComputeBackend = .onednn

    @Option(name: .long, help: ArgumentHelp("Engine threads (default: the cores this process may use).",
                                            valueName: "n"))
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp("3x3 convolutions: auto (Winograd F(4x4,3x3) or F(2x2,3x3) for wide layers, by layer shape), direct, winograd (F(2x2) everywhere) or winograd4x4.",
                                            valueName: "algorithm"))
    var conv: ConvAlgorithm = .auto

    /// The library, threads and algorithm of the sessions this command creates: --threads, else
    /// `defaultThreads`, else the cores this process may use. Valid once load() has checked the arguments.
    func compute(defaultThreads: Int? = nil) -> ComputeOptions {
        ComputeOptions(backend: backend, threads: threads ?? defaultThreads, convAlgorithm: conv)
    }

    /// Checks --threads and that --backend runs here, then loads the weights.
    func load() throws -> VtokModel {
        if let threads {
            guard (1...256).contains(threads) else { throw CLIError("--threads must be between 1 and 256, not \(threads)") }
        }
        do {
            try Compute.verify(backend)
        } catch {
            var why = "\(error)"
            if case let .backendFailed(message) = error { why = message }
            throw CLIError("the \(backend.rawValue) backend cannot run here: \(why). oneDNN generates its kernels at "
                           + "run time, which a W^X policy (systemd's MemoryDenyWriteExecute=yes) forbids: allow it, "
                           + "or pass --backend openblas")
        }
        let path = try DefaultModel.resolve(explicit: model).get()
        do {
            return try VtokModel(path: path)
        } catch {
            throw CLIError("cannot load model '\(path)': \(UserMessage.weights(error))")
        }
    }
}

extension ComputeBackend: ExpressibleByArgument {}
extension ConvAlgorithm: ExpressibleByArgument {}
