// The sd_notify(3) protocol, spoken directly: one datagram of "KEY=value" lines to $NOTIFY_SOCKET.
import Foundation
import Glibc

/// Tells the service manager how the daemon is doing (READY=1, STATUS=, WATCHDOG=1, STOPPING=1).
/// Without `NOTIFY_SOCKET` every call does nothing, so the daemon runs the same outside systemd.
public final class SystemdNotifier: @unchecked Sendable {
    /// The socket path from the environment (`@` for the abstract namespace), or nil.
    public let socketPath: String?
    /// How often to send WATCHDOG=1: half of WATCHDOG_USEC, when the watchdog is meant for this process.
    public let watchdogInterval: Double?
    private let address: UnixAddress?
    private let fd: Int32
    private let lock = NSLock()

    /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `environment` (sd_watchdog_enabled(3)).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, pid: pid_t = getpid()) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let address = path.flatMap { try? UnixAddress(path: $0) }
        self.socketPath = address == nil ? nil : path
        self.address = address
        self.fd = address == nil ? -1 : socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let forUs = environment["WATCHDOG_PID"].map { pid_t($0) == pid } ?? true
        if forUs, let usec = environment["WATCHDOG_USEC"].flatMap({ UInt64($0) }), usec > 0 {
            watchdogInterval = Double(usec) / 2_000_000
        } else {
            watchdogInterval = nil
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Whether a service manager is listening.
    public var isEnabled: Bool { fd >= 0 }

    /// Sends `state` (newline-separated assignments) as one datagram. Failures are returned, never fatal.
    @discardableResult
    public func notify(_ state: String) -> ServerError? {
        guard let address, fd >= 0 else { return nil }
        let bytes = Array(state.utf8)
        lock.lock()
        defer { lock.unlock() }
        let n = address.withSockaddr { addr, len in
            bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), addr, len) }
        }
        return n == bytes.count ? nil : ServerError.lastSystemError("sendto", socketPath ?? "")
    }

    /// READY=1 with MAINPID and a first status line: the sockets and the source are open.
    public func ready(status: String) { notify("READY=1\nMAINPID=\(getpid())\nSTATUS=\(Self.oneLine(status))") }

    public func status(_ text: String) { notify("STATUS=\(Self.oneLine(text))") }

    /// WATCHDOG=1: call only when the daemon made real progress since the last one.
    public func watchdog() { notify("WATCHDOG=1") }

    public func stopping(status: String) { notify("STOPPING=1\nSTATUS=\(Self.oneLine(status))") }

    private static func oneLine(_ s: String) -> String {
        String(s.map { $0 == "\n" ? " " : $0 })
    }
}
