// The sd_listen_fds(3) protocol: sockets systemd opened for us start at fd 3.
import Foundation
import Glibc

/// The descriptors a socket unit passed: `LISTEN_PID` must be this process, `LISTEN_FDS` counts them from
/// fd 3 on, `LISTEN_FDNAMES` (optional) names them, colon-separated.
public struct SocketActivation: Equatable, Sendable {
    public static let firstDescriptor: Int32 = 3

    public struct Passed: Equatable, Sendable {
        public var fd: Int32
        public var name: String
    }

    public var descriptors: [Passed]

    /// Parses the environment. Returns nil when nothing was passed to this process (no LISTEN_PID or LISTEN_FDS,
    /// or LISTEN_PID names another process: the variables were inherited). Malformed values throw.
    public static func parse(environment: [String: String], pid: pid_t) throws(ServerError) -> SocketActivation? {
        guard let pidText = environment["LISTEN_PID"], let countText = environment["LISTEN_FDS"] else { return nil }
        guard let listenPID = pid_t(pidText), listenPID > 0 else { throw .activation("LISTEN_PID '\(pidText)' is not a pid") }
        guard listenPID == pid else { return nil }
        guard let count = Int32(countText), count >= 0, count <= 4096 else {
            throw .activation("LISTEN_FDS '\(countText)' is not a count")
        }
        var names = environment["LISTEN_FDNAMES"].map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) } ?? []
        if names.count != Int(count) {
            // sd_listen_fds_with_names(3): a count mismatch means the names are unusable; use "unknown".
            names = Array(repeating: "unknown", count: Int(count))
        }
        let passed = (0..<count).map { Passed(fd: firstDescriptor + $0, name: names[Int($0)]) }
        return SocketActivation(descriptors: passed)
    }

    /// Removes the variables so that nothing this process starts inherits them (sd_listen_fds(unset_environment: 1)).
    public static func unsetEnvironment() {
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
    }
}
