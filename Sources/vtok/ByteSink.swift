// Where token packets go: a file or stdout. Every packet is written whole and at once (no user-space
// buffering), so a pipe consumer sees each latent frame as soon as it exists.
import Glibc

final class ByteSink {
    let fd: Int32
    private let ownsFD: Bool

    /// "-" is stdout; anything else is created or truncated.
    init(path: String) throws {
        if path == "-" {
            fd = 1
            ownsFD = false
        } else {
            let f = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard f >= 0 else { throw CLIError("cannot open '\(path)' for writing: \(String(cString: strerror(errno)))") }
            fd = f
            ownsFD = true
        }
    }

    func write(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    deinit { if ownsFD { close(fd) } }
}

/// Reads a byte stream from a file or stdin.
final class ByteSource {
    let fd: Int32
    private let ownsFD: Bool

    init(path: String) throws {
        if path == "-" {
            fd = 0
            ownsFD = false
        } else {
            let f = open(path, O_RDONLY | O_CLOEXEC)
            guard f >= 0 else { throw CLIError("cannot open '\(path)': \(String(cString: strerror(errno)))") }
            fd = f
            ownsFD = true
        }
    }

    /// The size of a regular file (for progress); nil for pipes, terminals and devices.
    var fileSize: Int? {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        return Int(st.st_size)
    }

    /// Fills `buffer` from the start; returns the byte count, 0 at the end.
    func read(into buffer: inout [UInt8]) throws -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw CLIError("read failed: \(String(cString: strerror(errno)))")
        }
    }

    deinit { if ownsFD { close(fd) } }
}
