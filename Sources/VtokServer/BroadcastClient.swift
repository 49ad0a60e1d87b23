// One client of the live source: its queue and the writer thread that drains it into the socket.
import Foundation
import Logging

/// A client of the live broadcast. Only its own writer thread ever blocks on its socket.
final class BroadcastClient: @unchecked Sendable {
    let id: Int
    let queue: PacketQueue
    private let connection: Connection
    private let metrics: Metrics
    private let logger: Logger
    private let done = DispatchSemaphore(value: 0)
    /// Seconds the client may take to read one packet, in total (a client reading a byte now and then is cut).
    private let writeTimeout: Double

    init(id: Int, connection: Connection, capacity: Int, writeTimeout: Double, metrics: Metrics, logger: Logger) {
        self.id = id
        self.writeTimeout = writeTimeout
        self.connection = connection
        self.queue = PacketQueue(capacity: capacity)
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts the writer thread; `onExit` runs on it after the socket is closed.
    func start(onExit: @escaping @Sendable (BroadcastClient) -> Void) {
        Thread.detachNewThread { [self] in
            var sent = 0
            var failure: ServerError?
            while let item = queue.pop() {
                do {
                    try connection.sendAll(item.bytes, deadline: monotonicSeconds() + writeTimeout)
                } catch {
                    failure = (error as? ServerError) ?? .peerClosed
                    break
                }
                sent += 1
                metrics.output(bytes: item.bytes.count)
                metrics.delivered(after: monotonicSeconds() - item.emitted)
            }
            queue.abort()
            if failure == nil { connection.shutdownWrite() }
            connection.close()
            let level: Logger.Level = failure == nil ? .debug : .info
            logger.log(level: level, "broadcast client left", metadata: [
                "client": "\(id)", "packets": "\(sent)", "dropped": "\(queue.dropped)",
                "cause": "\(failure.map { "\($0)" } ?? "stream ended")"])
            onExit(self)
            done.signal()
        }
    }

    /// Waits for the writer thread until `deadline` (monotonic seconds); false if it is still writing.
    func wait(until deadline: Double) -> Bool {
        let left = max(0, deadline - monotonicSeconds())
        guard done.wait(timeout: .now() + left) == .success else { return false }
        done.signal()  // later waits return at once
        return true
    }

    /// Unblocks a writer stuck on a client that does not read (after the grace time).
    func disconnect() {
        queue.abort()
        connection.shutdownBoth()
    }
}
