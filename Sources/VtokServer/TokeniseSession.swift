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
    private let limits: SessionLimits
    private let shutdown: ShutdownSignal
    private let metrics: Metrics
    private let logger: Logger
    private let sendLock = NSLock()
    private var tracker = StreamTracker()       // guarded by sendLock
    private var sealed = false                  // guarded by sendLock
    private var lastLatentTime: Double?
    private let started = monotonicSeconds()

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
        pump.start(maxBytes: limits.maxInputBytes, idleTimeout: limits.idleTimeout, shutdown: shutdown, metrics: metrics)
        let outcome: SourceOutcome
        do {
            let source = try factory.makeSource(input: .fileDescriptor(pump.readFD), limits: limits)
            let deadline = limits.maxSessionSeconds.map { started + $0 }
            let shutdown = self.shutdown
            outcome = source.run(emit: { bytes in try self.deliver(bytes) }, shouldStop: {
                shutdown.isTriggered || deadline.map { monotonicSeconds() > $0 } ?? false
            })
        } catch {
            outcome = SourceOutcome(reason: .inputError, message: "cannot open the input: \(error)")
        }
        finish(outcome: outcome, pump: pump)
    }

    /// The pipeline's `emit`: writes whole packets to the client. A failed write ends the session quietly
    /// (the pipeline sees the error and stops).
    private func deliver(_ bytes: [UInt8]) throws {
        sendLock.lock()
        defer { sendLock.unlock() }
        guard !sealed else { throw ServerError.peerClosed }
        let now = monotonicSeconds()
        for packet in tracker.split(bytes) where packet.header.type == .tokens {
            metrics.latent(frames: packet.frameCount, seconds: (lastLatentTime ?? started).distance(to: now))
            lastLatentTime = now
        }
        try connection.sendAll(bytes)
        metrics.output(bytes: bytes.count)
    }

    /// Ends the stream with the daemon's own END if the pipeline did not write one (it could not open the
    /// input, or it was cut off), then closes. Called by the session itself, or by the server when the
    /// shutdown grace time has passed (`reason` shutdown).
    func seal(reason: EndReason, message: String) {
        sendLock.lock()
        defer { sendLock.unlock() }
        guard !sealed else { return }
        sealed = true
        if !tracker.ended {
            try? connection.sendAll(tracker.endPacket(reason: reason, message: message))
        }
        connection.shutdownBoth()
    }

    /// Unblocks a session stuck writing to a client that does not read (after the grace time).
    func disconnect() { connection.shutdownBoth() }

    private func finish(outcome: SourceOutcome, pump: InputPump?) {
        seal(reason: outcome.reason, message: outcome.message)
        if let pump {
            close(pump.readFD)
            pump.wait()
        }
        connection.close()
        let cut = pump?.cause
        let reason = cut == .byteLimit ? "limitExceeded" : cut == .stalled ? "stalled" : "\(outcome.reason)"
        switch outcome.reason {
        case .inputError, .encoderError: metrics.error()
        default: break
        }
        metrics.sessionEnded(reason: reason)
        logger.info("session ended", metadata: [
            "reason": "\(outcome.reason)", "input": "\(cut?.rawValue ?? "-")", "bytes_in": "\(pump?.byteCount ?? 0)",
            "frames": "\(tracker.framesIn)", "latents": "\(tracker.latentFramesOut)",
            "message": "\(outcome.message)"])
    }
}
