// Clips for the CLI tests, made in the test's scratch folder with VtokTestSupport's TestClips, and
// `vtok encode` with the tiny model.
import Foundation
import VtokTestSupport

extension CLITestCase {
    /// `ffmpeg -y <args> <dir/name>`; returns the path.
    @discardableResult
    func ffmpeg(_ name: String, _ arguments: [String]) throws -> String {
        try TestClips.make(path(name), arguments)
    }

    /// ffmpeg arguments for a testsrc2 clip of `frames` frames.
    static func testsrc(size: String = "48x32", rate: String = "25", frames: Int, codec: String? = nil,
                        format: String? = nil) -> [String] {
        TestClips.testsrc(size: size, rate: rate, frames: frames, codec: codec, format: format)
    }

    /// A testsrc2 clip written to `name`.
    func clip(_ name: String, size: String = "48x32", rate: String = "25", frames: Int, codec: String? = nil,
              extra: [String] = []) throws -> String {
        try ffmpeg(name, Self.testsrc(size: size, rate: rate, frames: frames, codec: codec) + extra)
    }

    /// Presentation time in seconds of every frame of the first video stream, as ffprobe decodes them.
    func probeTimes(_ file: String) throws -> [Double] { try TestClips.probeTimes(file) }

    static func parseTimes(_ csv: String) -> [Double] { TestClips.parseTimes(csv) }

    /// The same for bytes read by ffprobe from its stdin.
    func probeTimes(stdin bytes: [UInt8]) throws -> [Double] { try TestClips.probeTimes(stdin: bytes) }

    /// `vtok encode` with the tiny model at 48x32, stdout captured.
    func encode(_ input: String, _ extra: [String] = [], stdin: ProcessInput = .null) throws -> ProcessResult {
        try vtok(["encode", input, "--model", CLI.tinyModel, "--size", "48x32"] + extra, stdin: stdin)
    }
}
