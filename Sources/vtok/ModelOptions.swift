// --model and --gemm, shared by every command that loads weights.
import ArgumentParser
import VtokEngine

struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Weights file (.safetensors). Default: the released model.",
                                            valueName: "path"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("Library for the engine's GEMMs: onednn (default, faster here) or openblas.",
                                            valueName: "library"))
    var gemm: GemmBackend = .onednn

    /// Loads the weights and selects the GEMM library for the sessions this command creates.
    func load() throws -> VtokModel {
        Gemm.setBackend(gemm)
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

extension GemmBackend: ExpressibleByArgument {}
