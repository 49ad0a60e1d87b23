// What can go wrong in the daemon, as values. System calls keep their C origin: the call and its errno.
import Glibc
import SystemPackage

/// An error of the daemon's own machinery (sockets, systemd protocols, configuration). Media, engine and
/// stream errors stay in their modules; a session turns them into an END packet.
public enum ServerError: Error, Equatable, CustomStringConvertible {
    /// A system call failed: `call` is the C function, `errno` what it set, `context` what it was for
    /// (a socket path, a descriptor).
    case system(call: String, errno: Errno, context: String)
    /// A socket path that does not fit `sockaddr_un` (107 bytes) or is empty.
    case invalidSocketPath(String)
    /// `--socket-group` names no group (getgrnam).
    case unknownGroup(String)
    /// LISTEN_FDS / LISTEN_PID / LISTEN_FDNAMES are present but malformed.
    case activation(String)
    /// Neither `--socket` nor systemd sockets: nothing to listen on.
    case noListeners
    /// The live source could not be opened.
    case sourceUnavailable(String)
    /// A configuration value out of range.
    case invalidConfiguration(String)
    /// The peer did not take our bytes within the write timeout (SO_SNDTIMEO expired).
    case writeTimedOut
    /// The peer closed its side (EPIPE, ECONNRESET) while we wrote.
    case peerClosed
    /// The session's wall-clock limit passed while we were still writing to a slowly reading client.
    case sessionTimeLimit
    /// A socket path names something that is not a socket (a regular file, a directory...): never replaced.
    case notASocket(path: String, kind: String)
    /// A socket path names a socket someone still accepts on, or one whose liveness cannot be told.
    case socketInUse(path: String, why: String)
    /// A file the daemon writes would land in a directory others could tamper with.
    case unsafeDirectory(path: String, why: String)

    /// The error for the C call that just failed, reading the thread's `errno`.
    static func lastSystemError(_ call: String, _ context: String = "") -> ServerError {
        .system(call: call, errno: Errno(rawValue: errno), context: context)
    }

    public var description: String {
        switch self {
        case .system(let call, let errno, let context):
            return context.isEmpty ? "\(call): \(errno)" : "\(call) \(context): \(errno)"
        case .invalidSocketPath(let p): return "invalid socket path '\(p)' (empty or longer than 107 bytes)"
        case .unknownGroup(let g): return "unknown group '\(g)'"
        case .activation(let why): return "systemd socket activation: \(why)"
        case .noListeners: return "nothing to listen on: give --socket PATH or start through vtok.socket"
        case .sourceUnavailable(let why): return "live source: \(why)"
        case .invalidConfiguration(let why): return "configuration: \(why)"
        case .writeTimedOut: return "client did not read within the write timeout"
        case .peerClosed: return "client closed the connection"
        case .sessionTimeLimit: return "session time limit reached while writing to the client"
        case .notASocket(let path, let kind):
            return "'\(path)' exists and is \(kind), not a socket: refusing to replace it (remove it or choose another path)"
        case .socketInUse(let path, let why): return "socket '\(path)' \(why): refusing to replace it"
        case .unsafeDirectory(let path, let why): return "refusing to write in '\(path)': \(why)"
        }
    }
}
