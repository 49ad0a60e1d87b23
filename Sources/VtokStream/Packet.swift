// One packet as a value: what a relay needs to know about it, and its bytes (docs/token-stream.md §3, §5.5).
// `StreamWriter` makes them, so a relay (the daemon) never parses a stream it wrote itself.

/// A whole packet: its header fields, the counts its payload carries, and its bytes on the wire. Made by
/// `StreamWriter` (or `Packet.end` for an END the writer cannot write); changed only through `resequenced` and
/// `markedDiscontinuous`, which keep both CRCs valid.
///
/// ```swift
/// var w = try StreamWriter(header: h)
/// let packets = try w.tokensPackets(pts: [p0], tokens: grid0)   // [HEADER, TOKENS]
/// out(packets.bytes)                                             // what `tokensPacket` returns
/// let joinerHeader = packets[0].resequenced(7)                   // a late joiner's HEADER (§5.2)
/// let afterDrop = packets[1].markedDiscontinuous()               // a relay dropped packets before it (§5.5)
/// ```
public struct Packet: Equatable, Sendable {
    /// Type, flags, sequence, pts and payload length, as written in `bytes`.
    public private(set) var header: PacketHeader
    /// TOKENS: the source frames the latent frame covers (`frame_count`, §4.2); 0 for other types.
    public let frameCount: Int
    /// END: its counts, reason and message as written (the message cut to 4096 bytes, §4.3); nil otherwise.
    public let end: EndInfo?
    /// The whole packet: header, payload, trailer CRC (§3).
    public private(set) var bytes: [UInt8]

    public var type: PacketType { header.type }
    public var flags: PacketFlags { header.flags }
    public var sequence: UInt64 { header.sequence }
    /// The payload's bytes (§4), a slice of `bytes`.
    public var payload: ArraySlice<UInt8> {
        bytes[StreamFormat.packetHeaderSize..<(bytes.count - StreamFormat.packetTrailerSize)]
    }

    /// Frames `payload`; the caller has checked its length against `StreamFormat.maxPayloadLength`.
    init(type: PacketType, flags: PacketFlags, sequence: UInt64, pts: Int64, payload: [UInt8],
         frameCount: Int = 0, end: EndInfo? = nil) {
        header = PacketHeader(type: type, flags: flags, sequence: sequence, pts: pts, length: UInt32(payload.count))
        bytes = PacketHeader.encode(type: type, flags: flags, sequence: sequence, pts: pts, payload: payload)
        self.frameCount = frameCount
        self.end = end
    }

    /// An END packet (§4.3) with sequence number `sequence`, for a daemon that must end a stream its
    /// `StreamWriter` cannot: one it never started (an END-only stream, §5.1), one whose writer is gone, or one
    /// whose END it replaces. Normally use `StreamWriter.endPackets`, which numbers and counts for you.
    public static func end(_ info: EndInfo, sequence: UInt64) -> Packet {
        let written = info.asWritten
        return Packet(type: .end, flags: [], sequence: sequence, pts: StreamFormat.noPTS,
                      payload: written.encodePayload(), end: written)
    }

    /// The same packet numbered `sequence` (§5.4), both CRCs recomputed: e.g. the current HEADER for a client
    /// joining a live stream, numbered as the last packet sent so that no gap shows (§5.2).
    public func resequenced(_ sequence: UInt64) -> Packet {
        restamped(flags: header.flags, sequence: sequence)
    }

    /// The same packet with DISCONTINUITY set (§5.5: a relay dropped packets before it), both CRCs recomputed.
    public func markedDiscontinuous() -> Packet {
        restamped(flags: header.flags.union(.discontinuity), sequence: header.sequence)
    }

    /// Whether a relay may drop it (§5.5): TOKENS, repeated HEADERs and unknown types; never a HEADER that
    /// starts a stream or segment, nor END.
    public var isDroppable: Bool {
        switch header.type {
        case .end: return false
        case .header: return header.flags.contains(.repeated)
        default: return true
        }
    }

    /// A HEADER that starts the stream or a segment (§5.3), not a repeat.
    public var startsSegment: Bool { header.type == .header && !header.flags.contains(.repeated) }

    private func restamped(flags: PacketFlags, sequence: UInt64) -> Packet {
        var copy = self
        copy.header.flags = flags
        copy.header.sequence = sequence
        PacketHeader.restamp(&copy.bytes, flags: flags, sequence: sequence,
                             payloadEnd: bytes.count - StreamFormat.packetTrailerSize)
        return copy
    }
}

extension Array where Element == Packet {
    /// The packets' bytes one after another, as they go on the wire.
    public var bytes: [UInt8] {
        guard count != 1 else { return self[0].bytes }
        var out = [UInt8]()
        out.reserveCapacity(reduce(0) { $0 + $1.bytes.count })
        for p in self { out += p.bytes }
        return out
    }
}
