// Finds the released model with no configuration: next to the binary when installed, in the source tree
// when run from a build folder.
import Foundation

enum DefaultModel {
    static let fileName = "vtok-4x8x8.safetensors"

    /// Candidate paths, in order: $VTOK_MODEL; PREFIX/share/vtok/models for a binary in PREFIX/bin; models/ in any
    /// folder above the binary (a build in the source tree); models/ in the source tree this binary was built from.
    static func candidates(executable: String = CommandLine.arguments.first ?? "") -> [String] {
        var out: [String] = []
        if let env = ProcessInfo.processInfo.environment["VTOK_MODEL"], !env.isEmpty { out.append(env) }
        let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        out.append(dir.deletingLastPathComponent().appendingPathComponent("share/vtok/models/\(fileName)").path)
        for _ in 0..<6 {
            out.append(dir.appendingPathComponent("models/\(fileName)").path)
            dir = dir.deletingLastPathComponent()
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()   // Sources/vtok
            .deletingLastPathComponent().deletingLastPathComponent()
        out.append(source.appendingPathComponent("models/\(fileName)").path)
        out.append("/usr/local/share/vtok/models/\(fileName)")
        out.append("/usr/share/vtok/models/\(fileName)")
        return out
    }

    static func path() -> String? {
        try? resolve(explicit: nil).get()
    }

    /// The weights to load: `explicit` (--model) or $VTOK_MODEL exactly as given, which must exist (a typo is
    /// an error, never a silent fall back to another model); else the first readable default candidate.
    static func resolve(explicit: String?,
                        environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<String, CLIError> {
        let fm = FileManager.default
        if let explicit {
            guard fm.isReadableFile(atPath: explicit) else {
                return .failure(CLIError("cannot load model '\(explicit)': \(fm.fileExists(atPath: explicit) ? "it cannot be read" : "no such file"): "
                                         + "pass --model PATH to a .safetensors weights file, or leave it out for the released model"))
            }
            return .success(explicit)
        }
        if let env = environment["VTOK_MODEL"], !env.isEmpty {
            guard fm.isReadableFile(atPath: env) else {
                return .failure(CLIError("cannot load model '\(env)' named by VTOK_MODEL: \(fm.fileExists(atPath: env) ? "it cannot be read" : "no such file"): "
                                         + "correct VTOK_MODEL, or unset it for the released model"))
            }
            return .success(env)
        }
        let list = candidates().filter { $0 != environment["VTOK_MODEL"] }
        guard let found = list.first(where: { fm.isReadableFile(atPath: $0) }) else {
            return .failure(CLIError("no model found: pass --model PATH or set VTOK_MODEL (looked in \(list.joined(separator: ", ")))"))
        }
        return .success(found)
    }
}
