// FFmpeg's own complaints about the input. The CLI keeps FFmpeg's log off stderr (one line of vtok's own
// per problem), but some damage is only visible there: a file cut short that arrives through a pipe ("File
// ended prematurely", "partial file"), or a damaged container whose frames the demuxer drops.
import Foundation
import VtokMedia

final class FFmpegProblems: @unchecked Sendable {   // guarded by lock
    static let shared = FFmpegProblems()

    private let lock = NSLock()
    private var lines: [String] = []

    /// Installs the handler: records error-level lines; also prints every line at or above `echo` (VTOK_FFMPEG_LOG).
    static func install(echo: MediaLogLevel?) {
        MediaLog.setLevel(max(echo ?? .error, .error))
        MediaLog.setHandler { level, line in
            if let echo, level <= echo { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            if level <= .error { shared.record(line) }
        }
    }

    private func record(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        if lines.count < 100 { lines.append(line) }
    }

    /// The first recorded line without FFmpeg's "[name @ 0x...] " prefix, and whether any says the input was cut.
    func summary() -> (first: String, truncated: Bool)? {
        lock.lock()
        defer { lock.unlock() }
        guard let first = lines.first else { return nil }
        let cut = lines.contains { l in
            let s = l.lowercased()
            return s.contains("ended prematurely") || s.contains("partial file") || s.contains("truncat")
        }
        let text = first.range(of: "] ").map { String(first[$0.upperBound...]) } ?? first
        return (text, cut)
    }
}
