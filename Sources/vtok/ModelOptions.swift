// --model and --backend, shared by every command that loads weights.
import ArgumentParser
import VtokEngine

struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Weights file (.safetensors). Default: the released model.",
                                            valueName: "path"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Convolution library: onednn (default) or openblas (im2col + sgemm).",
                                            valueName: "library"))
    var backend: ComputeBackend = .onednn

    /// Loads the weights and selects the compute library for the sessions this command creates.
    func load() throws -> VtokModel {
        Compute.setBackend(backend)
        guard let path = model ?? DefaultModel.path() else {
            throw CLIError("no model found: pass --model PATH or set VTOK_MODEL (looked in \(DefaultModel.candidates().joined(separator: ", ")))")
        }
        do {
            return try VtokModel(path: path)
        } catch {
            throw CLIError("cannot load model '\(path)': \(error)")
        }
    }
}

extension ComputeBackend: ExpressibleByArgument {}
