// sockaddr_un for a filesystem path or a Linux abstract name ("@name"), as systemd writes them.
import Glibc

/// A Unix domain socket address. A path beginning with `@` names the abstract namespace (the `@` becomes the
/// leading NUL byte, and the length excludes any terminator), as in `NOTIFY_SOCKET` (sd_notify(3)).
struct UnixAddress {
    private var storage = sockaddr_un()
    /// The byte count to pass to bind/connect/sendto.
    let length: socklen_t

    init(path: String) throws(ServerError) {
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        // A filesystem path needs room for its terminating NUL; an abstract name does not.
        guard bytes.count > (abstract ? 1 : 0), bytes.count <= capacity - (abstract ? 0 : 1),
              abstract || !bytes.contains(0) else {
            throw .invalidSocketPath(path)
        }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        length = socklen_t(offset + bytes.count + (abstract ? 0 : 1))
    }

    /// Calls `body` with the address as a `sockaddr` pointer and its length.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }

    /// The filesystem path a bound socket has, or nil for unnamed and abstract sockets.
    static func boundPath(of fd: Int32) -> String? {
        var addr = sockaddr_un()
        var len = socklen_t(MemoryLayout<sockaddr_un>.size)
        let rc = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0, addr.sun_family == sa_family_t(AF_UNIX) else { return nil }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        let count = Int(len) - offset
        guard count > 0 else { return nil }
        let bytes = withUnsafeBytes(of: addr.sun_path) { Array($0.prefix(count)) }
        guard let first = bytes.first, first != 0 else { return nil }
        let path = bytes.prefix { $0 != 0 }
        return String(decoding: path, as: UTF8.self)
    }
}
