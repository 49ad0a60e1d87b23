// The results manifest of a batch: one JSON line per input tried, appended as each one finishes.
import Foundation
import Glibc

/// What became of one input. `error` is nil when the stream was written; `warning` notes a damaged input whose
/// stream was still written whole (the single-input encode exits 1 for it).
struct BatchRecord: Sendable {
    var input: String
    var output: String?
    var frames = 0
    var latentFrames = 0
    var bytes = 0
    var sha256: String?
    var seconds = 0.0
    var error: String?
    var warning: String?

    /// One JSON object, keys in this order, every key on every line (null where there is nothing).
    var jsonLine: String {
        func string(_ s: String?) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            guard let s, let data = try? encoder.encode(s) else { return "null" }
            return String(decoding: data, as: UTF8.self)
        }
        return "{\"input\":\(string(input)),\"output\":\(string(output)),\"frames\":\(frames),"
            + "\"latent_frames\":\(latentFrames),\"bytes\":\(bytes),\"sha256\":\(string(sha256)),"
            + "\"seconds\":\(String(format: "%.3f", seconds)),\"error\":\(string(error)),\"warning\":\(string(warning))}"
    }
}

/// Appends records to a JSON Lines file, each line in one write(2) on an O_APPEND descriptor, so shards of a job
/// array may share a file and an interrupted batch leaves only whole lines.
final class BatchResultsFile: @unchecked Sendable {      // fd is written under `lock`
    private let fd: Int32
    private let lock = NSLock()
    let path: String

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CLIError("cannot open the results manifest '\(path)': \(String(cString: strerror(errno)))") }
    }

    func append(_ record: BatchRecord) throws {
        let line = Array((record.jsonLine + "\n").utf8)
        lock.lock()
        defer { lock.unlock() }
        var done = 0
        while done < line.count {
            let n = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, line.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("cannot write the results manifest '\(path)': \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    deinit { close(fd) }
}
