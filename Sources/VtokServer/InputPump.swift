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
        case shutdown = "daemon shutting down"
        case readError = "read error"
        case pipelineDone = "pipeline stopped reading"
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

    func start(maxBytes: Int?, idleTimeout: Double, shutdown: ShutdownSignal, metrics: Metrics) {
        Thread.detachNewThread { [self] in
            let reason = pump(maxBytes: maxBytes, idleTimeout: idleTimeout, shutdown: shutdown, metrics: metrics)
            lock.lock()
            cut = reason
            lock.unlock()
            close(writeFD)
            done.signal()
        }
    }

    /// Waits for the pump thread to finish (the session shuts the connection down first).
    func wait() { done.wait() }

    private func pump(maxBytes: Int?, idleTimeout: Double, shutdown: ShutdownSignal, metrics: Metrics) -> Cut {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var fds = [pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: shutdown.readFD, events: Int16(POLLIN), revents: 0)]
        let timeoutMS = Int32(min(max(idleTimeout, 0.001), 86_400) * 1000)
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, timeoutMS)
            if ready < 0 {
                if errno == EINTR { continue }
                return .readError
            }
            if ready == 0 { return .stalled }
            if fds[1].revents != 0 { return .shutdown }
            let n: Int
            do { n = try connection.receive(into: &buffer) } catch { return .readError }
            if n == 0 { return .endOfInput }
            lock.lock()
            bytes += n
            let total = bytes
            lock.unlock()
            metrics.input(bytes: n)
            var allowed = n
            if let maxBytes, total > maxBytes { allowed = max(0, n - (total - maxBytes)) }
            if !writeAll(buffer, count: allowed) { return .pipelineDone }
            if allowed < n { return .byteLimit }
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
