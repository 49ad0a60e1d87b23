// What the daemon keeps about the packets a pipeline emitted: the last sequence number, the counts an END
// carries, whether it ended, and the current segment's HEADER for late joiners. It reads them off the packet
// values (`Packet`), never off the bytes (docs/token-stream.md §4.2, §4.3, §5.2).
import VtokStream

/// Keeps a stream's counts, so the daemon can finish a stream with its own END when the pipeline cannot
/// (shutdown grace expired) or never started one (refusal, open failure).
struct StreamTracker {
    private(set) var lastSequence: UInt64?
    private(set) var framesIn = 0
    private(set) var latentFramesOut = 0
    private(set) var ended = false
    /// The current segment's HEADER packet, for a client joining a live stream.
    private(set) var currentHeader: Packet?

    /// Notes packets about to be sent, in order.
    mutating func note(_ packets: [Packet]) {
        for p in packets { note(p) }
    }

    mutating func note(_ p: Packet) {
        lastSequence = p.sequence
        if p.type == .tokens {
            framesIn += p.frameCount
            latentFramesOut += 1
        } else if p.startsSegment {
            currentHeader = p
        } else if p.type == .end {
            ended = true
        }
    }

    /// The current HEADER for a client joining now, renumbered to the sequence of the last packet emitted, so
    /// the joiner's reader sees HEADER followed by the next packet without a gap: to it the header stands
    /// where a repeated one would have been (§5.2), and only real drops (§5.5) show as discontinuities.
    func headerForJoiner() -> Packet? {
        guard let header = currentHeader, let sequence = lastSequence else { return nil }
        return header.resequenced(sequence)
    }

    /// An END packet continuing this stream: the next sequence number and the counts seen so far.
    func endPacket(reason: EndReason, message: String) -> Packet {
        Packet.end(EndInfo(framesIn: framesIn, latentFramesOut: latentFramesOut, reason: reason, message: message),
                   sequence: lastSequence.map { $0 &+ 1 } ?? 0)
    }
}
