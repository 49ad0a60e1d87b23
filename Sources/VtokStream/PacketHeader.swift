// Packet framing: the 32-byte packet header, the payload and the trailer CRC (docs/token-stream.md §3). The
// packet as a value, with its bytes, is `Packet` (Packet.swift).

/// The packet types of §4. A reader skips types it does not know (§4, §7).
public struct PacketType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// §4.1: describes the stream; starts a stream or a segment, or repeats.
    public static let header = PacketType(rawValue: 1)
    /// §4.2: one latent frame.
    public static let tokens = PacketType(rawValue: 2)
    /// §4.3: the last packet of a stream.
    public static let end = PacketType(rawValue: 3)

    public var description: String {
        switch self {
        case .header: return "HEADER"
        case .tokens: return "TOKENS"
        case .end: return "END"
        default: return "type \(rawValue)"
        }
    }
}

/// Packet flags (§3.1). Unknown bits are kept but carry no meaning.
public struct PacketFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Packets were dropped before this one (§5.5).
    public static let discontinuity = PacketFlags(rawValue: 0x01)
    /// On a HEADER: repeats the current segment's header unchanged (§5.2).
    public static let repeated = PacketFlags(rawValue: 0x02)
}

/// The fields of a packet header (§3), without the sync bytes and CRCs.
public struct PacketHeader: Equatable, Sendable {
    public var type: PacketType
    public var flags: PacketFlags
    public var sequence: UInt64
    /// TOKENS: pts of the first covered frame; HEADER and END: `StreamFormat.noPTS`.
    public var pts: Int64
    /// Payload length in bytes, at most `StreamFormat.maxPayloadLength`.
    public var length: UInt32

    public init(type: PacketType, flags: PacketFlags, sequence: UInt64, pts: Int64, length: UInt32) {
        self.type = type
        self.flags = flags
        self.sequence = sequence
        self.pts = pts
        self.length = length
    }

    /// The whole packet: header, `payload`, trailer CRC (§3). `length` is taken from `payload`.
    static func encode(type: PacketType, flags: PacketFlags, sequence: UInt64, pts: Int64,
                       payload: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(StreamFormat.packetOverhead + payload.count)
        out.append(contentsOf: StreamFormat.sync)
        out.append(type.rawValue)
        out.append(flags.rawValue)
        out.appendLE(UInt16(0))  // reserved
        out.appendLE(sequence)
        out.appendLE(pts)
        out.appendLE(UInt32(payload.count))
        out.appendLE(CRC32C.checksum(out[0..<28]))
        out.append(contentsOf: payload)
        out.appendLE(CRC32C.checksum(out))
        return out
    }

    /// Parses the 32 bytes at `start` of `bytes` as a packet header, checking the sync and `header_crc`
    /// (§3, §6.1 step 2). Does not check `length` against the limit; `nil` if fewer than 32 bytes are there.
    public static func parse(_ bytes: [UInt8], at start: Int) -> Result<PacketHeader, StreamError>? {
        guard start >= 0, bytes.count - start >= StreamFormat.packetHeaderSize else { return nil }
        for i in 0..<4 where bytes[start + i] != StreamFormat.sync[i] { return .failure(.badMagic) }
        let crc = bytes.loadLE(UInt32.self, at: start + 28)
        guard CRC32C.checksum(bytes[start..<(start + 28)]) == crc else { return .failure(.headerCRCMismatch) }
        return .success(PacketHeader(
            type: PacketType(rawValue: bytes[start + 4]),
            flags: PacketFlags(rawValue: bytes[start + 5]),
            sequence: bytes.loadLE(UInt64.self, at: start + 8),
            pts: bytes.loadLE(Int64.self, at: start + 16),
            length: bytes.loadLE(UInt32.self, at: start + 24)))
    }

    /// For relays (§5.5): sets DISCONTINUITY on the packet that starts `bytes` and recomputes its two CRCs.
    /// The packet must be whole and valid; bytes after it (more packets) are left alone.
    public static func markDiscontinuity(_ bytes: inout [UInt8]) throws(StreamError) {
        guard let parsed = parse(bytes, at: 0) else { throw .truncated(trailingBytes: bytes.count) }
        let header: PacketHeader
        switch parsed {
        case .success(let h): header = h
        case .failure(let e): throw e
        }
        let end = StreamFormat.packetHeaderSize + Int(header.length)
        guard Int(header.length) <= StreamFormat.maxPayloadLength else { throw .packetTooLarge(length: header.length) }
        guard bytes.count >= end + StreamFormat.packetTrailerSize else { throw .truncated(trailingBytes: bytes.count) }
        guard CRC32C.checksum(bytes[0..<end]) == bytes.loadLE(UInt32.self, at: end) else {
            throw .crcMismatch(sequence: header.sequence)
        }
        restamp(&bytes, flags: header.flags.union(.discontinuity), sequence: header.sequence, payloadEnd: end)
    }

    /// Rewrites the flags and sequence number of the whole packet at the start of `bytes`, whose payload ends
    /// at `end`, and recomputes its two CRCs (§3): the one place a written packet's header is changed. (The
    /// trailer CRC comes out the same, as it covers the header together with its own CRC, a CRC residue; it is
    /// recomputed anyway rather than relied on.)
    static func restamp(_ bytes: inout [UInt8], flags: PacketFlags, sequence: UInt64, payloadEnd end: Int) {
        bytes[5] = flags.rawValue
        bytes.storeLE(sequence, at: 8)
        bytes.storeLE(CRC32C.checksum(bytes[0..<28]), at: 28)
        bytes.storeLE(CRC32C.checksum(bytes[0..<end]), at: end)
    }
}
