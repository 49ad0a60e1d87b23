// --metrics-socket: answers a minimal HTTP GET with the metrics, or just writes them to a silent client.
import Foundation
import Glibc

enum MetricsEndpoint {
    private static let inFlight = Admission(limit: 4)

    /// Serves one metrics connection on its own short-lived thread: waits up to 200 ms for a request;
    /// "GET ..." gets an HTTP/1.0 response, anything else (or nothing) the bare text. Never blocks the caller.
    static func serve(_ connection: Connection, metrics: Metrics) {
        // At most 4 at once: a flood of metrics connections must not become a flood of threads.
        guard inFlight.enter() else {
            connection.close()
            return
        }
        Thread.detachNewThread {
            defer {
                connection.close()
                inFlight.leave()
            }
            connection.setWriteTimeout(2)
            var request = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 1024)
            var pfd = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
            let deadline = Date().addingTimeInterval(0.2)
            while request.count < 4096, !request.containsHeaderEnd {
                let ms = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
                guard ms > 0, poll(&pfd, 1, ms) == 1 else { break }
                guard let n = try? connection.receive(into: &buffer), n > 0 else { break }
                request += buffer[0..<n]
            }
            let body = metrics.prometheusText()
            if request.starts(with: Array("GET ".utf8)) {
                let head = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
                try? connection.sendAll(Array((head + body).utf8))
            } else {
                try? connection.sendAll(Array(body.utf8))
            }
        }
    }
}

/// A counter with a ceiling.
final class Admission: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    let limit: Int
    init(limit: Int) { self.limit = limit }
    func enter() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard count < limit else { return false }
        count += 1
        return true
    }
    func leave() {
        lock.lock()
        count -= 1
        lock.unlock()
    }
}

private extension Array where Element == UInt8 {
    var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 {
            return true
        }
        return false
    }
}
