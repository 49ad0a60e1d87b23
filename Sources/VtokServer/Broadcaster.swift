// The live source: one pipeline, many clients. The source thread never waits for a client; each client has
// a bounded queue that drops whole packets (docs/token-stream.md §5.5).
import Foundation
import Logging
import VtokStream

/// Fans one token stream out to every connected client. A client joining late first gets the current
/// segment's HEADER (renumbered so that no gap shows), then the live packets from the next one on.
final class Broadcaster: @unchecked Sendable {
    private let lock = NSLock()
    private var tracker = StreamTracker()
    private var clients: [Int: BroadcastClient] = [:]
    private var nextID = 0
    private var sealed = false
    private let capacity: Int
    private let writeTimeout: Double
    private let metrics: Metrics
    private let logger: Logger
    private var lastLatentTime: Double?
    private var progressTime = monotonicSeconds()

    init(queueCapacity: Int, writeTimeout: Double, metrics: Metrics, logger: Logger) {
        self.capacity = queueCapacity
        self.writeTimeout = writeTimeout
        self.metrics = metrics
        self.logger = logger
    }

    /// The source thread's `emit`: queues each packet for every client.
    /// Throws once the stream is sealed (the daemon already ended it), which stops the pipeline.
    func publish(_ packets: [Packet]) throws(ServerError) {
        let now = monotonicSeconds()
        lock.lock()
        defer { lock.unlock() }
        guard !sealed else { throw .peerClosed }
        progressTime = now
        for packet in packets {
            tracker.note(packet)
            if packet.type == .tokens {
                metrics.latent(frames: packet.frameCount, seconds: lastLatentTime.map { now - $0 })
                lastLatentTime = now
            }
            for client in clients.values where !client.queue.push(packet, emitted: now) {
                metrics.dropped()
            }
        }
        if tracker.ended { sealLocked(end: nil) }
    }

    /// Adds a client: it gets the current HEADER (if the stream has begun) and every packet after it.
    /// Returns false once the stream has ended.
    @discardableResult
    func add(_ connection: Connection) -> Bool {
        connection.setWriteTimeout(writeTimeout)
        lock.lock()
        defer { lock.unlock() }
        guard !sealed else { return false }
        nextID += 1
        let client = BroadcastClient(id: nextID, connection: connection, capacity: capacity, writeTimeout: writeTimeout,
                                     metrics: metrics, logger: logger)
        if let header = tracker.headerForJoiner() { client.queue.push(header, emitted: monotonicSeconds()) }
        clients[client.id] = client
        metrics.sessionStarted()
        metrics.clientJoined()
        client.start { [weak self] c in self?.remove(c) }
        return true
    }

    /// Ends the stream for every client: with the pipeline's END if it wrote one, else with an END of the
    /// daemon's own (`reason`, e.g. shutdown when the source did not stop in time). Idempotent.
    func seal(reason: EndReason, message: String) {
        lock.lock()
        defer { lock.unlock() }
        guard !sealed else { return }
        sealLocked(end: tracker.ended ? nil : tracker.endPacket(reason: reason, message: message))
    }

    private func sealLocked(end: Packet?) {
        sealed = true
        if let end {
            for client in clients.values { client.queue.push(end, emitted: monotonicSeconds()) }
        }
        for client in clients.values { client.queue.close() }
    }

    /// Waits for every writer to send its END until `deadline`, then disconnects the ones still stuck.
    func drain(until deadline: Double) {
        lock.lock()
        let all = Array(clients.values)
        lock.unlock()
        for client in all where !client.wait(until: deadline) {
            client.disconnect()
        }
    }

    /// Monotonic time of the source's last packet (or of the start): the watchdog's measure of progress.
    var lastProgress: Double {
        lock.lock()
        defer { lock.unlock() }
        return progressTime
    }

    var clientCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return clients.count
    }

    var isSealed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return sealed
    }

    private func remove(_ client: BroadcastClient) {
        lock.lock()
        let removed = clients.removeValue(forKey: client.id) != nil
        lock.unlock()
        if removed {
            metrics.clientLeft()
            metrics.sessionEnded(reason: "broadcast")
        }
    }
}
