// FFmpeg's own log, routed through a Swift handler. The va_list formatting happens in C
// (shim.h: vtok_log_trampoline); this file owns the only registered sink.
import CFFmpeg
import Foundation

/// FFmpeg log levels (`AV_LOG_*`), most severe first.
public enum MediaLogLevel: Int32, Sendable, Comparable, CaseIterable {
    case quiet = -8, panic = 0, fatal = 8, error = 16, warning = 24, info = 32, verbose = 40, debug = 48, trace = 56

    public static func < (a: MediaLogLevel, b: MediaLogLevel) -> Bool { a.rawValue < b.rawValue }

    /// The named level at or above (more severe than) a raw AV_LOG_* value.
    init(av raw: Int32) {
        self = MediaLogLevel.allCases.last(where: { $0.rawValue <= raw }) ?? .quiet
    }
}

/// Global control of FFmpeg's logging. Default: errors only, printed by FFmpeg to stderr.
public enum MediaLog {
    public typealias Handler = @Sendable (MediaLogLevel, String) -> Void

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var handler: Handler?
    }

    private static let state = State()

    /// Called once before any FFmpeg work: quiet default and device registration.
    static let bootstrap: Void = {
        av_log_set_level(MediaLogLevel.error.rawValue)
        avdevice_register_all()
    }()

    /// Messages more verbose than `level` are dropped before they are formatted.
    public static func setLevel(_ level: MediaLogLevel) {
        _ = bootstrap
        av_log_set_level(level.rawValue)
    }

    public static var level: MediaLogLevel { MediaLogLevel(av: av_log_get_level()) }

    /// Routes every FFmpeg log line (without its trailing newline) to `handler`; `nil` restores FFmpeg's
    /// default printer on stderr. The handler may be called from FFmpeg's decoder threads.
    public static func setHandler(_ handler: Handler?) {
        _ = bootstrap
        state.lock.lock()
        state.handler = handler
        state.lock.unlock()
        vtok_log_install(handler == nil ? nil : { level, line in
            guard let line else { return }
            MediaLog.deliver(level: level, line: String(cString: line))
        })
    }

    private static func deliver(level: Int32, line: String) {
        state.lock.lock()
        let handler = state.handler
        state.lock.unlock()
        var text = line
        while text.last == "\n" { text.removeLast() }
        if MediaLogLevel(av: level) <= .error, let capture = Thread.current.threadDictionary[captureKey] as? Capture,
           capture.lines.count < 16 {
            capture.lines.append(text.range(of: "] ").map { String(text[$0.upperBound...]) } ?? text)
        }
        handler?(MediaLogLevel(av: level), text)
    }

    private final class Capture { var lines: [String] = [] }
    private static let captureKey = "vtok.MediaLog.capture"

    /// Runs `body` and returns the error lines FFmpeg logged on this thread meanwhile, without their
    /// "[name @ 0x...] " prefix: some causes are only said there (a y4m of 100000x100000 fails to open with
    /// EBUSY; the log says "Picture size 100000x100000 is invalid"). Empty when no handler is installed.
    static func errors<T>(during body: () throws -> T) rethrows -> (T, [String]) {
        let capture = Capture()
        let dict = Thread.current.threadDictionary
        let outer = dict[captureKey]
        dict[captureKey] = capture
        defer { dict[captureKey] = outer }
        let result = try body()
        return (result, capture.lines)
    }
}
