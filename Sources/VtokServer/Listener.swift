// Listening Unix stream sockets: made by the daemon (--socket) or handed over by systemd (vtok.socket).
import Glibc

/// A listening `AF_UNIX` stream socket. Accepting is non-blocking: the server polls first.
final class Listener: @unchecked Sendable {
    let fd: Int32
    /// The filesystem path, when the daemon bound it itself (it unlinks it on close).
    let ownedPath: String?
    /// The path the socket is bound to, as far as getsockname tells (for matching systemd sockets).
    let boundPath: String?
    /// LISTEN_FDNAMES entry for sockets passed by systemd.
    let name: String
    /// The socket file's device and inode right after bind: close() removes the path only if it still is it.
    private let ownedIdentity: SocketPathGuard.Identity?

    private init(fd: Int32, ownedPath: String?, name: String) {
        self.fd = fd
        self.ownedPath = ownedPath
        self.ownedIdentity = ownedPath.flatMap { SocketPathGuard.identity(of: $0) }
        self.boundPath = UnixAddress.boundPath(of: fd)
        self.name = name
    }

    /// Binds and listens on `path`. A stale socket file (nobody accepting) is replaced; a live socket or any
    /// other file is an error, and is left alone. `mode` and `group` are applied to the file before anyone can connect.
    static func bind(path: String, mode: mode_t, group: gid_t?, backlog: Int32 = 64) throws(ServerError) -> Listener {
        let address = try UnixAddress(path: path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .lastSystemError("socket", path) }
        var rc = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        if rc != 0 && errno == EADDRINUSE && !path.hasPrefix("@") {
            // Only a stale socket is replaced; a regular file or a live socket is refused (SocketPathGuard).
            do throws(ServerError) {
                try SocketPathGuard.removeStale(path: path, address: address)
            } catch {
                Glibc.close(fd)
                throw error
            }
            rc = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        }
        guard rc == 0 else {
            let e = ServerError.lastSystemError("bind", path)
            Glibc.close(fd)
            throw e
        }
        let owned = path.hasPrefix("@") ? nil : path
        do {
            if let owned {
                guard chmod(owned, mode) == 0 else { throw ServerError.lastSystemError("chmod", owned) }
                if let group, chown(owned, uid_t.max, group) != 0 { throw ServerError.lastSystemError("chown", owned) }
            }
            guard listen(fd, backlog) == 0 else { throw ServerError.lastSystemError("listen", path) }
        } catch let e as ServerError {
            if let owned { unlink(owned) }
            Glibc.close(fd)
            throw e
        } catch {
            Glibc.close(fd)
            throw .invalidConfiguration("\(error)")
        }
        return Listener(fd: fd, ownedPath: owned, name: "")
    }

    /// Adopts a socket systemd passed (sd_listen_fds(3)); it must be a listening stream socket.
    static func adopt(fd: Int32, name: String) throws(ServerError) -> Listener {
        var type: Int32 = 0, listening: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 else {
            throw .lastSystemError("getsockopt(SO_TYPE)", "fd \(fd)")
        }
        len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 else {
            throw .lastSystemError("getsockopt(SO_ACCEPTCONN)", "fd \(fd)")
        }
        guard type == Int32(SOCK_STREAM.rawValue), listening != 0 else {
            throw .activation("fd \(fd) (\(name)) is not a listening stream socket; use ListenStream= and Accept=no")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0, fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 else {
            throw .lastSystemError("fcntl", "fd \(fd)")
        }
        return Listener(fd: fd, ownedPath: nil, name: name)
    }

    /// The next pending connection, or nil when none is waiting (or it vanished before we took it).
    func accept() throws(ServerError) -> Connection? {
        while true {
            // accept4 is not in Swift's Glibc module; the daemon never execs, so CLOEXEC can follow.
            let c = Glibc.accept(fd, nil, nil)
            if c >= 0 {
                _ = fcntl(c, F_SETFD, FD_CLOEXEC)
                return Connection(fd: c)
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK, ECONNABORTED, EPROTO: return nil
            // Out of descriptors or memory: not fatal, the caller logs and retries later.
            default: throw .lastSystemError("accept", boundPath ?? "fd \(fd)")
            }
        }
    }

    /// Closes the socket; a socket file the daemon made itself is removed. systemd's sockets are closed
    /// only in this process (systemd keeps its copy for the next activation).
    func close() {
        _ = Glibc.close(fd)
        if let ownedPath { SocketPathGuard.removeIfSame(path: ownedPath, identity: ownedIdentity) }
    }
}
