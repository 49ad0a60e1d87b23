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
///
/// Whatever the handler, every error line FFmpeg logs for a reader is also kept by that reader
/// (`MediaDiagnostics.ffmpegErrors`): a line belongs to the reader whose demuxer or decoder context logged it
/// (their `opaque` carries the reader's log id, also on FFmpeg's decoder threads), else to the reader working
/// on the thread that logged it.
public enum MediaLog {
    public typealias Handler = @Sendable (MediaLogLevel, String) -> Void

    private final class State: @unchecked Sendable {   // guarded by lock
        let lock = NSLock()
        var handler: Handler?
        var collectors: [Int: MediaLogCollector] = [:]
        var nextID = 1
    }

    private static let state = State()

    /// Called once before any FFmpeg work: quiet default and the trampoline that lets readers collect FFmpeg's
    /// error lines (FFmpeg's own printer still prints while no handler is set). Devices register on demand
    /// (MediaDevices).
    static let bootstrap: Void = {
        av_log_set_level(MediaLogLevel.error.rawValue)
        install(forward: true)
    }()

    /// Messages more verbose than `level` are dropped before they are formatted (error lines are always
    /// formatted, for the readers' diagnostics).
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
        install(forward: handler == nil)
    }

    private static func install(forward: Bool) {
        vtok_log_install({ level, line, owner in
            guard let line else { return }
            MediaLog.deliver(level: level, line: String(cString: line), owner: owner.map { Int(bitPattern: $0) })
        }, forward ? 1 : 0)
    }

    private static func deliver(level raw: Int32, line: String, owner: Int?) {
        let level = MediaLogLevel(av: raw)
        var text = line
        while text.last == "\n" { text.removeLast() }
        state.lock.lock()
        let handler = state.handler
        let owned = owner.flatMap { state.collectors[$0] }
        state.lock.unlock()
        if level <= .error {
            let bare = text.range(of: "] ").map { String(text[$0.upperBound...]) } ?? text
            if handler != nil, let capture = Thread.current.threadDictionary[captureKey] as? Capture,
               capture.lines.count < 16 {
                capture.lines.append(bare)
            }
            (owned ?? current)?.record(bare)
        }
        if raw <= av_log_get_level() { handler?(level, text) }
    }

    // MARK: collectors (one per reader)

    /// A new collector, registered until `unregister`; its id goes into the reader's contexts' `opaque`.
    static func register() -> MediaLogCollector {
        state.lock.lock()
        defer { state.lock.unlock() }
        let collector = MediaLogCollector(id: state.nextID)
        state.nextID += 1
        state.collectors[collector.id] = collector
        return collector
    }

    static func unregister(_ collector: MediaLogCollector) {
        state.lock.lock()
        state.collectors[collector.id] = nil
        state.lock.unlock()
    }

    private static let currentKey = "vtok.MediaLog.current"

    /// The collector of the reader working on this thread.
    private static var current: MediaLogCollector? {
        Thread.current.threadDictionary[currentKey] as? MediaLogCollector
    }

    /// Runs `body` with `collector` as this thread's: lines FFmpeg logs on this thread without a reader's
    /// context (av_log(NULL, ...), AVIOContext, swscale) go to it.
    static func collecting<T, E: Error>(into collector: MediaLogCollector, _ body: () throws(E) -> T) throws(E) -> T {
        let dict = Thread.current.threadDictionary
        let outer = dict[currentKey]
        dict[currentKey] = collector
        defer { dict[currentKey] = outer }
        return try body()
    }

    private final class Capture { var lines: [String] = [] }
    private static let captureKey = "vtok.MediaLog.capture"

    /// Runs `body` and returns the error lines FFmpeg logged on this thread meanwhile, without their
    /// "[name @ 0x...] " prefix: some causes are only said there (a y4m of 100000x100000 fails to open with
    /// EBUSY; the log says "Picture size 100000x100000 is invalid"). Empty when no handler is installed
    /// (FFmpeg then prints them itself).
    static func errors<T, E: Error>(during body: () throws(E) -> T) throws(E) -> (T, [String]) {
        let capture = Capture()
        let dict = Thread.current.threadDictionary
        let outer = dict[captureKey]
        dict[captureKey] = capture
        defer { dict[captureKey] = outer }
        let result = try body()
        return (result, capture.lines)
    }
}

/// The error lines FFmpeg logged for one reader (any thread may add to it).
final class MediaLogCollector: @unchecked Sendable {   // guarded by lock
    let id: Int
    private let lock = NSLock()
    private var lines: [String] = []
    private var count = 0
    private var cut = false

    /// At most this many lines are kept; all are counted and scanned for truncation.
    static let keep = 16

    init(id: Int) { self.id = id }

    /// The id as a C pointer for `opaque` (never dereferenced).
    var opaque: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: id) }

    func record(_ line: String) {
        let says = MediaDiagnostics.saysTruncated(line)
        lock.lock()
        defer { lock.unlock() }
        if lines.count < Self.keep { lines.append(line) }
        count += 1
        cut = cut || says
    }

    /// Copies what was collected into `diagnostics`.
    func fill(_ diagnostics: inout MediaDiagnostics) {
        lock.lock()
        defer { lock.unlock() }
        diagnostics.ffmpegErrors = lines
        diagnostics.ffmpegErrorCount = count
        diagnostics.ffmpegSaysTruncated = cut
    }
}
