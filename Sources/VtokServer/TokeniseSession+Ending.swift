// How a tokenise-on-connect session says why it ended: the daemon's own cuts (byte limit, idle, rate, time,
// shutdown) replace the pipeline's "end of input"; failed writes get their own reason in the log and metrics;
// a container that cannot be read from a pipe gets a hint.
import VtokStream

extension TokeniseSession {
    /// The outcome to report when the daemon itself cut the input, or nil when it did not.
    func cutOutcome(_ cut: InputPump.Cut?) -> SourceOutcome? {
        switch cut {
        case .byteLimit?:
            return SourceOutcome(reason: .limitExceeded, message: "input byte limit of \(limits.maxInputBytes ?? 0) bytes reached")
        case .stalled?:
            return SourceOutcome(reason: .inputError, message: "no input for \(Self.number(limits.idleTimeout)) s")
        case .tooSlow?:
            return SourceOutcome(reason: .limitExceeded, message: "input slower than the minimum rate of "
                                 + "\(Self.number(limits.minInputRate ?? 0)) bytes/s over \(Self.number(limits.rateWindow)) s")
        case .sessionTime?:
            return sessionTimeOutcome
        case .shutdown?:
            return SourceOutcome(reason: .shutdown, message: "daemon shutting down")
        case .endOfInput?, .readError?, .pipelineDone?, nil:
            return nil
        }
    }

    var sessionTimeOutcome: SourceOutcome {
        SourceOutcome(reason: .limitExceeded,
                      message: "session time limit of \(Self.number(limits.maxSessionSeconds ?? 0)) s reached")
    }

    /// The pipeline only sees its input end; when the daemon cut it, or the session's time ran out while the
    /// pipeline was working, END should say so. Returns a replacement END (same sequence, counts so far) or
    /// nil to keep the pipeline's. Called with `sendLock` held.
    func correctedEnd(_ end: Packet) -> Packet? {
        guard let said = end.end?.reason else { return nil }
        var outcome: SourceOutcome?
        if said == .endOfInput || said == .inputError { outcome = cutOutcome(pump?.cause) }
        if outcome == nil, said == .shutdown, !shutdown.isTriggered, let deadline, monotonicSeconds() >= deadline {
            outcome = sessionTimeOutcome
        }
        if outcome == nil, said == .inputError, tracker.framesIn == 0, let text = end.end?.message {
            let hinted = Self.withPipeHint(text)
            if hinted != text { outcome = SourceOutcome(reason: .inputError, message: hinted) }
        }
        guard let outcome else { return nil }
        return Packet.end(EndInfo(framesIn: tracker.framesIn, latentFramesOut: tracker.latentFramesOut,
                                  reason: outcome.reason, message: outcome.message), sequence: end.sequence)
    }

    /// FFmpeg names the daemon's pipe `pipe:N`, which tells a client nothing, and a plain MP4 (index at the
    /// end) fails through a pipe with no word about why. Say it is the connection, and what to send instead.
    static func withPipeHint(_ message: String) -> String {
        var text = message
        var touched = false
        while let r = text.range(of: "'pipe:") {
            guard let close = text[r.upperBound...].firstIndex(of: "'") else { break }
            text.replaceSubrange(r.lowerBound...close, with: "the connection")
            touched = true
        }
        let mp4Signs = ["moov atom not found", "no video frame could be decoded", "Invalid data found"]
        guard touched || mp4Signs.contains(where: { message.contains($0) }) else { return message }
        return text + " (the daemon reads the connection as a pipe, so the container must be streamable: NUT, "
            + "Matroska, MPEG-TS or fragmented MP4; a plain MP4 has its index at the end: remux it with "
            + "'ffmpeg -i in.mp4 -c copy -f nut -')"
    }

    /// When a write to the client failed, that is why the session ended, whatever the pipeline said after.
    static func deliveryOutcome(_ failure: ServerError, limits: SessionLimits) -> SourceOutcome {
        switch failure {
        case .writeTimedOut:
            return SourceOutcome(reason: .limitExceeded, message: "client read nothing for \(number(limits.writeTimeout)) s (write timeout)")
        case .sessionTimeLimit:
            return SourceOutcome(reason: .limitExceeded,
                                 message: "session time limit of \(number(limits.maxSessionSeconds ?? 0)) s reached")
        default:
            return SourceOutcome(reason: .endOfInput, message: "client closed the connection")
        }
    }

    /// The `reason` label of `vtok_sessions_ended_total` and of the "session ended" log line.
    static func metricsLabel(cut: InputPump.Cut?, delivery: ServerError?, reason: EndReason) -> String {
        switch delivery {
        case .writeTimedOut?: return "writeTimeout"
        case .sessionTimeLimit?: return "sessionTime"
        case .some: return "clientClosed"
        case nil: break
        }
        switch cut {
        case .byteLimit?: return "limitExceeded"
        case .stalled?: return "stalled"
        case .tooSlow?: return "tooSlow"
        case .sessionTime?: return "sessionTime"
        default: return "\(reason)"
        }
    }

    /// 30 for 30.0, 0.3 for 0.3: limits as people typed them.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }
}
