// Test helpers: a raw Unix socket client, a stream decoder, temporary paths, and an in-process daemon.
import Foundation
import Glibc
import Logging
import XCTest
@testable import VtokServer
import VtokStream

/// A blocking client connection to the daemon.
final class TestClient: @unchecked Sendable {
    let fd: Int32

    init(path: String, timeout: Double = 5) throws {
        let deadline = Date().addingTimeInterval(timeout)
        let address = try UnixAddress(path: path)
        while true {
            let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            if address.withSockaddr({ connect(s, $0, $1) }) == 0 { fd = s; break }
            close(s)
            guard Date() < deadline else { throw ServerError.lastSystemError("connect", path) }
            usleep(20_000)
        }
        var tv = timeval(tv_sec: 20, tv_usec: 0)  // a hung daemon fails the test instead of hanging it
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    func halfClose() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads up to `max` bytes (nil: until end of stream).
    func read(max: Int? = nil) -> [UInt8] {
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65536)
        while max.map({ out.count < $0 }) ?? true {
            let want = min(buf.count, max.map { $0 - out.count } ?? buf.count)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, want, 0) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    /// Sends `media` from another thread while reading everything back (a real client does both at once).
    func exchange(_ media: [UInt8], halfClose: Bool = true) -> [UInt8] {
        let sender = Thread { [self] in
            send(media)
            if halfClose { self.halfClose() }
        }
        sender.start()
        return read()
    }
}

/// The events of a whole token stream, and whether it was complete.
func decode(_ bytes: [UInt8]) -> (events: [StreamEvent], complete: Bool) {
    var reader = StreamReader()
    reader.feed(bytes)
    var events: [StreamEvent] = []
    while let e = try? reader.next() { events.append(e) }
    return (events, reader.finish() == nil)
}

func endInfo(_ events: [StreamEvent]) -> EndInfo? {
    for case .end(let info) in events { return info }
    return nil
}

func temporaryDirectory() -> String {
    let dir = NSTemporaryDirectory() + "vtok-server-\(getpid())-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// A daemon running in this process on a background thread.
final class InProcessDaemon: @unchecked Sendable {
    let server: Server
    let socketPath: String
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var status: Int32?

    /// `log`: where the daemon's log lines go (stderr, warnings and worse, by default).
    init(configure: (inout ServerConfiguration) -> Void = { _ in }, factory: any TokenSourceFactory = FakeSourceFactory(),
         environment: [String: String] = [:], log: JournalLogHandler.Sink = .standardError) throws {
        socketPath = temporaryDirectory() + "/vtok.sock"
        var config = ServerConfiguration()
        config.socketPath = socketPath
        config.stopGrace = 3
        configure(&config)
        var logger = Logger(label: "vtok-test") { JournalLogHandler(label: $0, level: .warning, sink: log) }
        logger.logLevel = .warning
        server = try Server(configuration: config, factory: factory, logger: logger, environment: environment)
        Thread.detachNewThread { [self] in
            let code = (try? server.run()) ?? -1
            lock.lock()
            status = code
            lock.unlock()
            done.signal()
        }
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: config.socketPath ?? socketPath) && Date() < deadline { usleep(10_000) }
    }

    /// Requests shutdown and returns the exit status run() returned.
    @discardableResult
    func stop(timeout: Double = 15) -> Int32? {
        server.shutdownSignal.trigger()
        return wait(timeout: timeout)
    }

    func wait(timeout: Double) -> Int32? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        done.signal()
        lock.lock()
        defer { lock.unlock() }
        return status
    }
}
