// --model, shared by every command that loads weights.
import ArgumentParser
import VtokEngine

struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Weights file (.safetensors). Default: the released model.",
                                            valueName: "path"))
    var model: String?

    func load() throws -> VtokModel {
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
