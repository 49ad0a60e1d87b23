// Programs vtok hands a job to: gnuplot draws the plots, the ffmpeg CLI runs the side-by-side filter graph.
// Found on PATH; a missing one is an error that says which Debian package provides it.
import Foundation

struct ToolError: Error, CustomStringConvertible {
    let description: String
    /// 1: the tool is missing (nothing was written); 2: it ran and failed to write the output.
    let exitCode: Int32
}

enum ExternalTool {
    /// The first executable `name` on $PATH (then /usr/bin).
    static func find(_ name: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin"]
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `name` with `arguments`, `input` on its stdin; throws with the last line it wrote on stderr.
    static func run(_ name: String, package: String, purpose: String, arguments: [String], input: String = "") throws {
        guard let exe = find(name) else {
            throw ToolError(description: "\(purpose) needs \(name), which is not installed: apt install \(package)",
                            exitCode: ExitCodes.failure)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = arguments
        let stdin = Pipe(), stderr = Pipe()
        p.standardInput = stdin
        p.standardOutput = FileHandle.nullDevice
        p.standardError = stderr
        do { try p.run() } catch {
            throw ToolError(description: "\(purpose): cannot start \(exe): \(error)", exitCode: ExitCodes.failure)
        }
        // gnuplot reads its whole script before drawing; ffmpeg gets -nostdin and an empty input.
        let writer = Thread {
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let last = String(decoding: err, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            throw ToolError(description: "\(purpose) failed (\(name) exit status \(p.terminationStatus)"
                            + (last.isEmpty ? ")" : ": \(last.trimmingCharacters(in: .whitespaces)))"),
                            exitCode: ExitCodes.outputFailure)
        }
    }
}
