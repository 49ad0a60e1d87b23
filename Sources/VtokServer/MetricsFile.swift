// --metrics-file: the Prometheus text rewritten atomically (write a temporary file, fsync, rename).
// The temporary file is created with O_CREAT|O_EXCL|O_NOFOLLOW under a random name, in a directory that was
// checked first, so that another user's symbolic link or file never makes the daemon write elsewhere.
import Glibc

enum MetricsFile {
    /// Replaces `path` with `text` so that a reader (node_exporter's textfile collector) never sees half a file.
    static func write(_ text: String, to path: String) throws(ServerError) {
        try checkDirectory(of: path)
        let (fd, temp) = try createTemporary(next: path)
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + off }, $0.count - off) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let e = ServerError.lastSystemError("write", temp)
                close(fd)
                unlink(temp)
                throw e
            }
            off += n
        }
        _ = fsync(fd)
        close(fd)
        // rename(2) replaces the name `path` itself: a symbolic link there is replaced, never followed.
        guard rename(temp, path) == 0 else {
            let e = ServerError.lastSystemError("rename", path)
            unlink(temp)
            throw e
        }
    }

    /// The directory `path` is in must not be writable by others unless it is sticky (like /tmp, where
    /// nobody may remove or rename another user's file).
    static func checkDirectory(of path: String) throws(ServerError) {
        let directory = directoryName(path)
        var st = stat()
        guard stat(directory, &st) == 0 else { throw .lastSystemError("stat", directory) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw .unsafeDirectory(path: directory, why: "not a directory") }
        if st.st_mode & S_IWOTH != 0 && st.st_mode & S_ISVTX == 0 {
            throw .unsafeDirectory(path: directory, why: "it is writable by every user and not sticky (mode \(String(st.st_mode & 0o7777, radix: 8)))")
        }
    }

    /// A new file next to `path`, made by this call alone: O_EXCL fails on any existing name (a planted link
    /// or file), O_NOFOLLOW refuses a link. Returns its descriptor and name.
    static func createTemporary(next path: String) throws(ServerError) -> (Int32, String) {
        for _ in 0..<8 {
            let temp = path + ".tmp.\(getpid()).\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
            let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 { return (fd, temp) }
            if errno != EEXIST { throw .lastSystemError("open", temp) }
        }
        throw .unsafeDirectory(path: directoryName(path), why: "could not create a new temporary file in 8 tries")
    }

    static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
