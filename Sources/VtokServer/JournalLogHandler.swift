// swift-log -> stderr lines that journald reads with their priority: "<3>message" (sd-daemon(3)).
import Foundation
import Glibc
import Logging
import VtokMedia

/// A `LogHandler` writing one line per message to stderr, prefixed with the syslog priority systemd's
/// journal understands (`<3>` error ... `<7>` debug). Outside systemd the prefixes are still harmless.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: Sink

    /// Where lines go: stderr by default; tests capture them.
    public final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private let write: @Sendable (String) -> Void
        public init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }
        public static let standardError = Sink { line in
            var bytes = Array(line.utf8)
            bytes.withUnsafeMutableBytes { raw in
                var off = 0
                while off < raw.count {
                    let n = Glibc.write(2, raw.baseAddress.map { $0 + off }, raw.count - off)
                    if n <= 0 { if errno == EINTR { continue }; return }
                    off += n
                }
            }
        }
        func emit(_ line: String) {
            lock.lock()
            defer { lock.unlock() }
            write(line)
        }
    }

    public init(label: String, level: Logger.Level = .info, sink: Sink = .standardError) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The syslog priority of a swift-log level.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var line = "<\(Self.priority(event.level))>\(label): \(event.message)"
        for (k, v) in all.sorted(by: { $0.key < $1.key }) { line += " \(k)=\(v)" }
        // One line per record: a newline inside a message would start a line of default priority.
        line = String(line.map { $0 == "\n" ? " " : $0 }) + "\n"
        sink.emit(line)
    }
}

extension JournalLogHandler {
    /// Routes FFmpeg's own log lines through `logger`, at the matching level, and tells FFmpeg to format
    /// only what `logger` would print.
    public static func routeMediaLog(to logger: Logger) {
        let level: MediaLogLevel
        switch logger.logLevel {
        case .trace: level = .trace
        case .debug: level = .debug
        case .info, .notice: level = .info
        case .warning: level = .warning
        case .error, .critical: level = .error
        }
        MediaLog.setLevel(level)
        MediaLog.setHandler { mediaLevel, line in
            guard !line.isEmpty else { return }
            let mapped: Logger.Level
            switch mediaLevel {
            case .quiet, .panic, .fatal: mapped = .critical
            case .error: mapped = .error
            case .warning: mapped = .warning
            case .info: mapped = .info
            case .verbose, .debug: mapped = .debug
            case .trace: mapped = .trace
            }
            logger.log(level: mapped, "\(line)", metadata: ["origin": "ffmpeg"])
        }
    }
}
