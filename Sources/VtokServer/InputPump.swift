// Tokenise on connect, input side: moves a client's bytes into the pipe the pipeline reads, counting them,
// and cuts the input at the byte limit, on a stalled client, or at shutdown.
import Foundation
import Glibc

/// Copies a connection into a pipe on its own thread. FFmpeg reads the pipe's other end and sees end of
/// input when the pump closes its end: after the client's half-close (or close), or when it cuts the input.
final class InputPump: @unchecked Sendable {
    enum Cut: String, Sendable {
        case endOfInput = "end of input"
        case byteLimit = "byte limit reached"
        case stalled = "client sent nothing within the idle timeout"
        case tooSlow = "client sent less than the minimum input rate"
        case sessionTime = "session time limit reached"
        case shutdown = "daemon shutting down"
        case readError = "read error"
        case pipelineDone = "pipeline stopped reading"
    }

    /// What the pump enforces on the client's side of the connection.
    struct Rules: Sendable {
        var maxBytes: Int?
        var idleTimeout: Double
        /// Monotonic time at which the input is cut (the session's wall-clock limit).
        var deadline: Double?
        /// Bytes per second of waiting for the client, measured over each `rateWindow` seconds of waiting.
        var minRate: Double?
        var rateWindow: Double

        init(limits: SessionLimits, started: Double) {
            maxBytes = limits.maxInputBytes
            idleTimeout = limits.idleTimeout
            deadline = limits.maxSessionSeconds.map { started + $0 }
            minRate = limits.minInputRate
            rateWindow = limits.rateWindow
        }
    }

    /// The descriptor the pipeline reads.
    let readFD: Int32
    private let writeFD: Int32
    private let connection: Connection
    private let lock = NSLock()
    private var cut: Cut?
    private var bytes = 0
    private let done = DispatchSemaphore(value: 0)

    init(connection: Connection) throws(ServerError) {
        var fds: [Int32] = [-1, -1]
        guard makePipe(&fds, O_CLOEXEC) else { throw .lastSystemError("pipe") }
        readFD = fds[0]
        writeFD = fds[1]
        self.connection = connection
    }

    /// Why the input ended, once it has.
    var cause: Cut? {
        lock.lock()
        defer { lock.unlock() }
        return cut
    }

    var byteCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return bytes
    }

    func start(rules: Rules, shutdown: ShutdownSignal, metrics: Metrics) {
        Thread.detachNewThread { [self] in
            let reason = pump(rules: rules, shutdown: shutdown, metrics: metrics)
            lock.lock()
            cut = reason
            lock.unlock()
            close(writeFD)
            done.signal()
        }
    }

    /// Waits for the pump thread to finish (the session shuts the connection down first).
    func wait() { done.wait() }

    private func pump(rules: Rules, shutdown: ShutdownSignal, metrics: Metrics) -> Cut {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var fds = [pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: shutdown.readFD, events: Int16(POLLIN), revents: 0)]
        let idle = min(max(rules.idleTimeout, 0.001), 86_400)
        var lastInput = monotonicSeconds()
        // The rate clock runs only while the pump waits for the client, never while the pipeline makes it
        // wait (a slow engine must not count against the client).
        var waitedInWindow = 0.0
        var bytesInWindow = 0
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let now = monotonicSeconds()
            if let deadline = rules.deadline, now >= deadline { return .sessionTime }
            if let minRate = rules.minRate, waitedInWindow >= rules.rateWindow {
                if Double(bytesInWindow) < minRate * rules.rateWindow { return .tooSlow }
                waitedInWindow = 0
                bytesInWindow = 0
            }
            var wait = lastInput + idle - now
            if let deadline = rules.deadline { wait = min(wait, deadline - now) }
            if rules.minRate != nil { wait = min(wait, rules.rateWindow - waitedInWindow) }
            let ready = poll(&fds, 2, Int32((max(0, min(wait, 86_400)) * 1000).rounded(.up)))
            let after = monotonicSeconds()
            waitedInWindow += after - now
            if ready < 0 {
                if errno == EINTR { continue }
                return .readError
            }
            if fds[1].revents != 0 { return .shutdown }
            if ready == 0 {
                if let deadline = rules.deadline, after >= deadline { return .sessionTime }
                if after - lastInput >= idle { return .stalled }
            }
            guard ready > 0 else { continue }
            let n: Int
            do { n = try connection.receive(into: &buffer) } catch { return .readError }
            if n == 0 { return .endOfInput }
            bytesInWindow += n
            lock.lock()
            bytes += n
            let total = bytes
            lock.unlock()
            metrics.input(bytes: n)
            var allowed = n
            if let maxBytes = rules.maxBytes, total > maxBytes { allowed = max(0, n - (total - maxBytes)) }
            if !writeAll(buffer, count: allowed) { return .pipelineDone }
            if allowed < n { return .byteLimit }
            // The idle clock, like the rate clock, runs only while waiting for the client: time blocked on a
            // pipeline that is slower than the input is not the client's silence.
            lastInput = monotonicSeconds()
        }
    }

    private func writeAll(_ buffer: [UInt8], count: Int) -> Bool {
        var off = 0
        while off < count {
            let n = buffer.withUnsafeBytes { write(writeFD, $0.baseAddress.map { $0 + off }, count - off) }
            if n > 0 { off += n; continue }
            if n < 0 && errno == EINTR { continue }
            return false  // EPIPE: the pipeline closed its end (SIGPIPE is ignored by the daemon)
        }
        return true
    }
}
