// --metrics-file: the Prometheus text rewritten atomically (write a temporary file, fsync, rename).
import Glibc

enum MetricsFile {
    /// Replaces `path` with `text` so that a reader (node_exporter's textfile collector) never sees half a file.
    static func write(_ text: String, to path: String) throws(ServerError) {
        let temp = path + ".tmp.\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .lastSystemError("open", temp) }
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
        guard rename(temp, path) == 0 else {
            let e = ServerError.lastSystemError("rename", path)
            unlink(temp)
            throw e
        }
    }
}
