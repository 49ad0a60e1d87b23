// Tokenise on connect: the client writes media into the connection and reads the token stream back on it,
// live, until END. One thread runs the pipeline; an InputPump feeds it.
import Foundation
import Glibc
import Logging
import VtokStream

/// One tokenise-on-connect session. `run()` blocks its thread until the stream has ended and the
/// connection is closed. Nothing a client does here reaches another session.
final class TokeniseSession: @unchecked Sendable {
    let id: Int
    private let connection: Connection
    private let factory: any TokenSourceFactory
    let limits: SessionLimits
    let shutdown: ShutdownSignal
    private let metrics: Metrics
    private let logger: Logger
    private let sendLock = NSLock()
    var tracker = StreamTracker()               // guarded by sendLock
    private var sealed = false                  // guarded by sendLock
    private var lastLatentTime: Double?
    var pump: InputPump?                        // set once, before the pipeline runs
    /// Set when a write to the client failed (write timeout, client gone); guarded by sendLock.
    private var deliveryFailure: ServerError?
    let started = monotonicSeconds()

    init(id: Int, connection: Connection, factory: any TokenSourceFactory, limits: SessionLimits,
         shutdown: ShutdownSignal, metrics: Metrics, logger: Logger) {
        self.id = id
        self.connection = connection
        self.factory = factory
        self.limits = limits
        self.shutdown = shutdown
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "session"] = "\(id)"
        self.logger = logger
    }

    func run() {
        connection.setWriteTimeout(limits.writeTimeout)
        let pump: InputPump
        do {
            pump = try InputPump(connection: connection)
        } catch {
            finish(outcome: SourceOutcome(reason: .inputError, message: "\(error)"), pump: nil)
            return
        }
        self.pump = pump
        pump.start(rules: InputPump.Rules(limits: limits, started: started), shutdown: shutdown, metrics: metrics)
        let outcome: SourceOutcome
        do {
            let source = try factory.makeSource(input: .fileDescriptor(pump.readFD))
            let deadline = self.deadline
            let shutdown = self.shutdown
            outcome = source.run(emit: { packets in try self.deliver(packets) }, shouldStop: {
                shutdown.isTriggered || deadline.map { monotonicSeconds() > $0 } ?? false
            })
        } catch {
            // The input ended before FFmpeg knew what it was: when the daemon cut it, say why (a silent client
            // gets the idle message, not FFmpeg's "Invalid data").
            outcome = cutOutcome(pump.cause) ?? SourceOutcome(reason: .inputError,
                                                              message: Self.withPipeHint("cannot open the input: \(error)"))
        }
        finish(outcome: outcome, pump: pump)
    }

    /// Monotonic time at which the session's wall-clock limit ends it.
    var deadline: Double? { limits.maxSessionSeconds.map { started + $0 } }

    /// The pipeline's `emit`: writes the packets of one step to the client, in one write. A failed write ends
    /// the session quietly (the pipeline sees the error and stops); the failure is kept for the log and the metrics.
    private func deliver(_ packets: [Packet]) throws {
        sendLock.lock()
        defer { sendLock.unlock() }
        guard !sealed else { throw ServerError.peerClosed }
        let now = monotonicSeconds()
        tracker.note(packets)
        var packets = packets
        var ends = false
        for (i, packet) in packets.enumerated() {
            if packet.type == .tokens {
                metrics.latent(frames: packet.frameCount, seconds: (lastLatentTime ?? started).distance(to: now))
                lastLatentTime = now
            } else if packet.type == .end {
                ends = true
                if let truer = correctedEnd(packet) { packets[i] = truer }
            }
        }
        let out = packets.bytes
        // Each write must be taken within the write timeout (a client reading a byte at a time is cut), and
        // before the session's time is up; END gets its own allowance even then (it says so).
        var by = now + limits.writeTimeout
        var late = ServerError.writeTimedOut
        if !ends, let deadline, deadline < by { (by, late) = (deadline, .sessionTimeLimit) }
        do throws(ServerError) {
            try connection.sendAll(out, deadline: by, pastDeadline: late)
        } catch {
            deliveryFailure = error
            throw error
        }
        metrics.output(bytes: out.count)
    }

    /// Ends the stream with the daemon's own END if the pipeline did not write one (it could not open the
    /// input, or it was cut off), then closes. Called by the session itself, or by the server when the
    /// shutdown grace time has passed (`reason` shutdown). After a write timeout it does not wait again.
    func seal(reason: EndReason, message: String) {
        sendLock.lock()
        defer { sendLock.unlock() }
        guard !sealed else { return }
        sealed = true
        if !tracker.ended {
            let end = tracker.endPacket(reason: reason, message: message).bytes
            // The END gets its own short allowance even when the session's time is up; after a write timeout
            // or a vanished client there is nobody to read it.
            switch deliveryFailure {
            case nil, .sessionTimeLimit?: try? connection.sendAll(end, deadline: monotonicSeconds() + limits.writeTimeout)
            default: break
            }
        }
        connection.shutdownBoth()
    }

    /// Unblocks a session stuck writing to a client that does not read (after the grace time).
    func disconnect() { connection.shutdownBoth() }

    private func finish(outcome: SourceOutcome, pump: InputPump?) {
        var outcome = outcome
        sendLock.lock()
        let failure = deliveryFailure
        sendLock.unlock()
        if let failure { outcome = Self.deliveryOutcome(failure, limits: limits) }
        // A pipeline that failed before its first frame wrote no END: the daemon's says what to send instead.
        if outcome.reason == .inputError, tracker.framesIn == 0 { outcome.message = Self.withPipeHint(outcome.message) }
        // Counted before the daemon's own END goes out, so a client that has read it finds the error counted.
        switch outcome.reason {
        case .inputError, .encoderError: metrics.error()
        default: if failure == .writeTimedOut { metrics.error() }
        }
        seal(reason: outcome.reason, message: outcome.message)
        if let pump {
            close(pump.readFD)
            pump.wait()
        }
        connection.close()
        let cut = pump?.cause
        let label = Self.metricsLabel(cut: cut, delivery: failure, reason: outcome.reason)
        metrics.sessionEnded(reason: label)
        if let damage = outcome.damage {
            // As `vtok encode` says it: the stream ended cleanly, but the input was not whole.
            logger.warning("input damaged: \(damage)", metadata: ["frames": "\(tracker.framesIn)"])
        }
        logger.info("session ended", metadata: [
            "reason": "\(label)", "input": "\(cut?.rawValue ?? "-")", "bytes_in": "\(pump?.byteCount ?? 0)",
            "frames": "\(tracker.framesIn)", "latents": "\(tracker.latentFramesOut)",
            "message": "\(outcome.message)"])
    }
}
