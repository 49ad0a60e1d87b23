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
    private var pump: InputPump?                // set once, before the pipeline runs
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
        self.pump = pump
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
            outcome = pump.cause == .shutdown ? SourceOutcome(reason: .shutdown, message: "daemon shutting down")
                : SourceOutcome(reason: .inputError, message: "cannot open the input: \(error)")
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
        var out = bytes
        for packet in tracker.split(bytes) {
            if packet.header.type == .tokens {
                metrics.latent(frames: packet.frameCount, seconds: (lastLatentTime ?? started).distance(to: now))
                lastLatentTime = now
            } else if packet.header.type == .end, let truer = correctedEnd(packet) {
                out = Array(out.dropLast(packet.bytes.count)) + truer
            }
        }
        try connection.sendAll(out)
        metrics.output(bytes: out.count)
    }

    /// The pipeline only sees its input end; when the daemon cut it (byte limit, stalled client, shutdown),
    /// END should say so. Returns a replacement END (same sequence and counts) or nil to keep the pipeline's.
    private func correctedEnd(_ end: EmittedPacket) -> [UInt8]? {
        guard let cut = pump?.cause, end.bytes.count > StreamFormat.packetHeaderSize + 16 else { return nil }
        let said = EndReason(code: end.bytes[StreamFormat.packetHeaderSize + 16])
        guard said == .endOfInput || said == .inputError else { return nil }
        let reason: EndReason, message: String
        switch cut {
        case .byteLimit:
            reason = .limitExceeded
            message = "input byte limit of \(limits.maxInputBytes ?? 0) bytes reached"
        case .stalled:
            reason = .inputError
            message = "no input for \(limits.idleTimeout) s"
        case .shutdown:
            reason = .shutdown
            message = "daemon shutting down"
        case .endOfInput, .readError, .pipelineDone:
            return nil
        }
        return EndPacket.encode(sequence: end.header.sequence, framesIn: tracker.framesIn,
                                latentFramesOut: tracker.latentFramesOut, reason: reason, message: message)
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
