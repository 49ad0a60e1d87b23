// The self-pipe every blocking wait also polls: written once by SIGTERM/SIGINT/SIGHUP (or a call), never drained,
// so it stays readable and wakes every poll in the daemon at once.
import Foundation
import Glibc

/// The descriptor the signal handler writes to. Set once before the handlers are installed.
nonisolated(unsafe) private var signalWakeFD: Int32 = -1
/// The last stop signal received (written only by the handler; a word-sized store).
nonisolated(unsafe) private var receivedSignal: Int32 = 0

public final class ShutdownSignal: @unchecked Sendable {
    /// Becomes readable, for good, once shutdown is requested.
    let readFD: Int32
    private let writeFD: Int32
    private let lock = NSLock()
    private var requested = false
    private var signalNumber: Int32 = 0

    public init() throws(ServerError) {
        var fds: [Int32] = [-1, -1]
        guard makePipe(&fds, O_CLOEXEC | O_NONBLOCK) else { throw .lastSystemError("pipe") }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Requests shutdown (idempotent, thread-safe).
    public func trigger() {
        lock.lock()
        requested = true
        lock.unlock()
        var b: UInt8 = 1
        _ = write(writeFD, &b, 1)
    }

    /// Whether shutdown was requested, by a call or a signal.
    public var isTriggered: Bool {
        lock.lock()
        let r = requested
        lock.unlock()
        if r { return true }
        var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) == 1
    }

    /// The signals that stop the daemon gracefully. SIGHUP (a closed terminal, `systemctl kill -s HUP`, a
    /// habit of "reload") stops it like SIGTERM: vtok has no configuration file to reload, and dying by the
    /// default action would leave clients without END and the socket file behind.
    public static let stopSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Ignores SIGPIPE (writes use MSG_NOSIGNAL as well) and makes SIGTERM, SIGINT and SIGHUP trigger this
    /// signal. The handler only stores the number and writes one byte to the pipe (async-signal-safe).
    public func installHandlers() {
        signalWakeFD = writeFD
        signal(SIGPIPE, SIG_IGN)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { number in
            var b: UInt8 = 1
            let saved = errno
            receivedSignal = number
            _ = write(signalWakeFD, &b, 1)
            errno = saved
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for s in Self.stopSignals { sigaction(s, &action, nil) }
    }

    /// The signal that requested the stop (SIGTERM, SIGINT, SIGHUP), or nil for a call or none yet.
    public var signalName: String? {
        switch receivedSignal {
        case SIGTERM: return "SIGTERM"
        case SIGINT: return "SIGINT"
        case SIGHUP: return "SIGHUP"
        default: return nil
        }
    }
}

/// pipe(2) with flags applied to both ends (pipe2 is not in Swift's Glibc module).
func makePipe(_ fds: inout [Int32], _ flags: Int32) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds {
        if flags & O_CLOEXEC != 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        if flags & O_NONBLOCK != 0 { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }
    return true
}
