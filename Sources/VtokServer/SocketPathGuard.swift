// What may stand at a socket path before the daemon binds it: nothing, or a stale socket of its own kind.
// Anything else (a regular file, a directory, a live socket) is refused, never removed (issue 14: data loss).
import Glibc

enum SocketPathGuard {
    /// The identity of a file, to tell later whether the path still names the socket we made.
    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// Called after bind(2) failed with EADDRINUSE on `path`. Removes the path only when it is a socket that
    /// nobody accepts on (connect(2) fails with ECONNREFUSED); throws otherwise. Returns normally also when
    /// the path vanished meanwhile, so that the caller binds again.
    static func removeStale(path: String, address: UnixAddress) throws(ServerError) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw .lastSystemError("lstat", path)
        }
        guard st.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path: path, kind: kind(of: st.st_mode)) }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { throw .lastSystemError("socket", path) }
        let rc = address.withSockaddr { connect(probe, $0, $1) }
        let e = errno
        Glibc.close(probe)
        if rc == 0 { throw .socketInUse(path: path, why: "is in use by another process") }
        switch e {
        case ECONNREFUSED:
            break  // a socket file whose owner has gone: stale, ours to replace
        case ENOENT:
            return
        case EAGAIN:
            // The listener's backlog is full: somebody is listening.
            throw .socketInUse(path: path, why: "is in use by another process")
        default:
            throw .socketInUse(path: path, why: "cannot be probed (connect: \(String(cString: strerror(e))))")
        }
        // Between the probe and here only the path's owner could swap the file; re-check the inode so that a
        // different file put there meanwhile is not the one removed.
        var again = stat()
        guard lstat(path, &again) == 0 else { return }
        guard again.st_mode & S_IFMT == S_IFSOCK, identity(again) == identity(st) else {
            throw .notASocket(path: path, kind: kind(of: again.st_mode))
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw .lastSystemError("unlink", path) }
    }

    /// The identity of the file at `path` (not following a symbolic link), or nil.
    static func identity(of path: String) -> Identity? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return identity(st)
    }

    /// Removes `path` only if it is still the socket `identity` names (at close: never someone else's file).
    static func removeIfSame(path: String, identity expected: Identity?) {
        var st = stat()
        guard let expected, lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK, identity(st) == expected else { return }
        unlink(path)
    }

    private static func identity(_ st: stat) -> Identity {
        Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "a special file"
        }
    }
}
