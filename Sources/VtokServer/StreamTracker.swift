// What the daemon needs to know about the packets a pipeline emits, without decoding them: where each packet
// ends, its type and flags, and the counts an END packet carries (docs/token-stream.md §3, §4.2, §4.3).
import VtokStream

/// One whole packet out of a pipeline's output.
struct EmittedPacket {
    var bytes: [UInt8]
    var header: PacketHeader
    /// TOKENS: source frames covered (`frame_count`, §4.2); 0 for other types.
    var frameCount: Int

    /// A relay may drop it (§5.5): TOKENS, repeated HEADERs and unknown types; never a new HEADER or END.
    var isDroppable: Bool {
        switch header.type {
        case .end: return false
        case .header: return header.flags.contains(.repeated)
        default: return true
        }
    }
}

/// Splits a pipeline's output into packets and keeps the stream's counts, so the daemon can finish a stream
/// with its own END when the pipeline cannot (shutdown grace expired) or never started one (refusal, open
/// failure). The pipeline's bytes are passed through unchanged.
struct StreamTracker {
    private(set) var lastSequence: UInt64?
    private(set) var framesIn = 0
    private(set) var latentFramesOut = 0
    private(set) var ended = false
    /// The current segment's HEADER packet, for a client joining a live stream.
    private(set) var currentHeader: [UInt8]?
    private var partial: [UInt8] = []

    /// The whole packets in `bytes` (plus any carried over from an earlier call). A writer hands out whole
    /// packets, so leftovers mean a bug upstream; damaged bytes are passed on as one droppable chunk.
    mutating func split(_ bytes: [UInt8]) -> [EmittedPacket] {
        partial += bytes
        var out: [EmittedPacket] = []
        var start = 0
        while let parsed = PacketHeader.parse(partial, at: start) {
            guard case .success(let h) = parsed, Int(h.length) <= StreamFormat.maxPayloadLength else {
                break
            }
            let end = start + StreamFormat.packetOverhead + Int(h.length)
            guard end <= partial.count else { break }
            let packetBytes = Array(partial[start..<end])
            var frames = 0
            if h.type == .tokens, h.length >= 6 {
                let at = start + StreamFormat.packetHeaderSize + 4
                frames = Int(partial[at]) | Int(partial[at + 1]) << 8
            }
            out.append(EmittedPacket(bytes: packetBytes, header: h, frameCount: frames))
            note(out[out.count - 1])
            start = end
        }
        partial.removeFirst(start)
        return out
    }

    private mutating func note(_ p: EmittedPacket) {
        lastSequence = p.header.sequence
        switch p.header.type {
        case .tokens:
            framesIn += p.frameCount
            latentFramesOut += 1
        case .header where !p.header.flags.contains(.repeated):
            currentHeader = p.bytes
        case .end:
            ended = true
        default:
            break
        }
    }

    /// The current HEADER for a client joining now, renumbered to the sequence of the last packet emitted, so
    /// the joiner's reader sees HEADER followed by the next packet without a gap: to it the header stands
    /// where a repeated one would have been (§5.2), and only real drops (§5.5) show as discontinuities.
    func headerForJoiner() -> EmittedPacket? {
        guard var bytes = currentHeader, let sequence = lastSequence,
              case .success(var h)? = PacketHeader.parse(bytes, at: 0) else { return nil }
        h.sequence = sequence
        for i in 0..<8 { bytes[8 + i] = UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i))) }
        let end = bytes.count - StreamFormat.packetTrailerSize
        let headerCRC = CRC32C.checksum(bytes[0..<28])
        for i in 0..<4 { bytes[28 + i] = UInt8(truncatingIfNeeded: headerCRC >> (8 * UInt32(i))) }
        let crc = CRC32C.checksum(bytes[0..<end])
        for i in 0..<4 { bytes[end + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        return EmittedPacket(bytes: bytes, header: h, frameCount: 0)
    }

    /// An END packet continuing this stream: the next sequence number and the counts seen so far.
    func endPacket(reason: EndReason, message: String) -> [UInt8] {
        EndPacket.encode(sequence: lastSequence.map { $0 &+ 1 } ?? 0, framesIn: framesIn,
                         latentFramesOut: latentFramesOut, reason: reason, message: message)
    }
}

/// An END packet built by the daemon itself, for streams the pipeline did not write (a refusal ("busy"), an
/// input that could not be opened, a shutdown that outlived the grace time): VtokStream frames it (§4.3, §5.1).
enum EndPacket {
    static func encode(sequence: UInt64, framesIn: Int, latentFramesOut: Int, reason: EndReason, message: String) -> [UInt8] {
        EndInfo(framesIn: framesIn, latentFramesOut: latentFramesOut, reason: reason, message: message)
            .packet(sequence: sequence)
    }
}
