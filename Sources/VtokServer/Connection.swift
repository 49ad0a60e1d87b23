// One accepted client socket: whole-buffer writes that never raise SIGPIPE, reads, timeouts, close once.
import Foundation
import Glibc

/// A connected `AF_UNIX` stream socket owned by one session. `close()` may be called from any thread, once
/// or many times; the other methods belong to the session's threads.
final class Connection: @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()
    private var closed = false

    init(fd: Int32) { self.fd = fd }
    deinit { close() }

    /// Blocks writes for at most `seconds`, then `sendAll` fails with `.writeTimedOut` (SO_SNDTIMEO).
    func setWriteTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes every byte of `bytes` (MSG_NOSIGNAL: a vanished peer is an error, never a signal). With a
    /// `deadline` (monotonic seconds), a client that keeps taking a few bytes per write timeout is cut there
    /// (throwing `pastDeadline`) instead of holding the writer for ever; SO_SNDTIMEO alone only catches a
    /// client that takes nothing at all.
    func sendAll(_ bytes: [UInt8], deadline: Double? = nil, pastDeadline: ServerError = .writeTimedOut) throws(ServerError) {
        var offset = 0
        while offset < bytes.count {
            if let deadline, monotonicSeconds() >= deadline { throw pastDeadline }
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress.map { $0 + offset }, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 { offset += n; continue }
            let e = errno
            switch e {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw .writeTimedOut
            case EPIPE, ECONNRESET, ENOTCONN: throw .peerClosed
            default: throw .lastSystemError("send", "fd \(fd)")
            }
        }
    }

    /// Writes what the socket takes right now without waiting (for refusals); errors are ignored.
    func sendNow(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
    }

    /// Reads up to `buffer.count` bytes: the count, 0 at end of input (the peer shut down its side).
    func receive(into buffer: inout [UInt8]) throws(ServerError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == ECONNRESET { return 0 }
            throw .lastSystemError("recv", "fd \(fd)")
        }
    }

    /// Ends our direction: the client reads end of stream after the bytes already sent.
    func shutdownWrite() { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Wakes any thread blocked on this socket (both directions) without releasing the descriptor.
    func shutdownBoth() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
    }
}
