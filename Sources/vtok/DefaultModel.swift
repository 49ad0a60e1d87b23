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
        candidates().first { FileManager.default.isReadableFile(atPath: $0) }
    }
}
