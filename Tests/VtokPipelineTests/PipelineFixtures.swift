// Clips made at test time with the ffmpeg CLI, and the tiny engine fixture model.
import Foundation
import XCTest
import VtokEngine

enum PipelineFixtures {
    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("vtok-pipeline-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Source tree root, from this file's path (Tests/VtokPipelineTests/...).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The tiny random-weight model the engine tests use (training/fixtures.py): fast and in the release format.
    static func tinyModel() throws -> VtokModel {
        try VtokModel(path: root.appendingPathComponent("Tests/VtokEngineTests/Fixtures/tiny-model.safetensors").path)
    }

    /// `ffmpeg -y <args> <dir/name>`; returns the path.
    static func make(_ name: String, _ args: [String]) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try run("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + args + [path])
        return path
    }

    static func testsrc(_ name: String, size: String, rate: String = "25", frames: Int, extra: [String] = []) throws -> String {
        try make(name, ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)", "-frames:v", String(frames),
                        "-pix_fmt", "yuv420p"] + extra)
    }

    @discardableResult
    static func run(_ tool: String, _ args: [String]) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "PipelineFixtures", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "\(tool) \(args.joined(separator: " ")) failed"])
        }
        return data
    }

    /// Presentation time in seconds of every video frame of a file, as ffprobe reports them.
    static func probeTimes(_ path: String) throws -> [Double] {
        let out = try run("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                                               "-of", "csv=p=0", path])
        return String(decoding: out, as: UTF8.self).split(separator: "\n").compactMap {
            Double($0.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces))
        }
    }
}
