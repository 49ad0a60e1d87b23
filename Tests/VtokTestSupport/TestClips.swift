// Test clips made at test time with the ffmpeg CLI (lavfi's testsrc2), and their frame times read back with
// ffprobe. Callers choose where the clip goes; this only runs the tools.
import Foundation

public enum TestClips {
    public static let ffmpeg = "/usr/bin/ffmpeg"
    public static let ffprobe = "/usr/bin/ffprobe"

    /// Both tools are installed.
    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: ffmpeg) && FileManager.default.isExecutableFile(atPath: ffprobe)
    }

    /// ffmpeg arguments for a testsrc2 clip of `frames` frames (or `seconds`), yuv420p, then `-c:v codec` and
    /// `-f format` when given.
    public static func testsrc(size: String, rate: String = "25", frames: Int? = nil, seconds: Double? = nil,
                               codec: String? = nil, format: String? = nil) -> [String] {
        ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)"]
            + (frames.map { ["-frames:v", String($0)] } ?? []) + (seconds.map { ["-t", String($0)] } ?? [])
            + ["-pix_fmt", "yuv420p"] + (codec.map { ["-c:v", $0] } ?? []) + (format.map { ["-f", $0] } ?? [])
    }

    /// `ffmpeg -y <arguments> <path>`; returns `path`. Throws with ffmpeg's stderr when it fails.
    @discardableResult
    public static func make(_ path: String, _ arguments: [String]) throws -> String {
        let r = try ProcessRunner.run(ffmpeg, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + arguments + [path],
                                      scratch: (path as NSString).deletingLastPathComponent)
        guard r.succeeded else { throw TestSupportError("ffmpeg failed: \(r.summary)") }
        return path
    }

    /// Presentation time in seconds of every frame of the first video stream of `file`, as ffprobe decodes them.
    public static func probeTimes(_ file: String) throws -> [Double] {
        try probe(file, stdin: .null)
    }

    /// The same for bytes read by ffprobe from its stdin.
    public static func probeTimes(stdin bytes: [UInt8]) throws -> [Double] {
        try probe("-", stdin: .bytes(bytes))
    }

    /// ffprobe's `csv=p=0` lines of `pts_time` as seconds.
    public static func parseTimes(_ csv: String) -> [Double] {
        csv.split(separator: "\n").compactMap { Double($0.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces)) }
    }

    private static func probe(_ file: String, stdin: ProcessInput) throws -> [Double] {
        let r = try ProcessRunner.run(ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                                                "-of", "csv=p=0", file], stdin: stdin)
        guard r.succeeded else { throw TestSupportError("ffprobe failed: \(r.summary)") }
        return parseTimes(r.stdoutText)
    }
}
