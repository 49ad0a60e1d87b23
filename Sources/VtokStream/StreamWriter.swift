// Values -> bytes: numbers the packets, repeats the header, keeps the counts for END
// (docs/token-stream.md §5).

/// Writes one token stream, a packet at a time. Each call returns the bytes to write; write and flush
/// them at once so a live consumer sees every latent frame as soon as it exists (§5.1). The `...Packets`
/// variants return the same packets as values (`Packet`: type, flags, sequence, counts, bytes) for a relay
/// that routes them without parsing them again; `packets.bytes` is what the byte variant returns.
///
/// ```swift
/// var w = try StreamWriter(header: h, headerRepeatInterval: 32)
/// out(w.begin())                                          // HEADER
/// out(try w.tokensPacket(pts: [p0], tokens: grid0))       // latent 0 covers frame 0 alone
/// out(try w.tokensPacket(pts: [p1, p2, p3, p4], tokens: grid1))
/// out(w.endPacket(reason: .endOfInput))
/// ```
public struct StreamWriter: Sendable {
    /// The current segment's header.
    public private(set) var header: StreamHeader
    /// Repeat the header after this many TOKENS packets (§5.2); 0 never repeats.
    public let headerRepeatInterval: Int
    /// The sequence number of the next packet (§5.4).
    public private(set) var nextSequence: UInt64 = 0
    /// Source frames written so far in the whole stream (END's `frames_in`).
    public private(set) var framesIn = 0
    /// TOKENS packets written so far in the whole stream (END's `latent_frames_out`).
    public private(set) var latentFramesOut = 0
    /// True once END has been written.
    public private(set) var isEnded = false

    private var headerPayload: [UInt8]
    private var begun = false
    private var latentIndex = 0          // within the segment
    private var tokensSinceHeader = 0
    private var segmentClosed = false    // the segment's partial last latent frame was written (§4.2)

    /// Throws `invalidArgument` when `header` breaks a rule of §4.1.
    public init(header: StreamHeader, headerRepeatInterval: Int = 32) throws(StreamError) {
        if let problem = header.violation() { throw .invalidArgument(problem) }
        guard headerRepeatInterval >= 0 else { throw .invalidArgument("negative header repeat interval") }
        self.header = header
        self.header.versionMajor = StreamFormat.versionMajor
        self.header.versionMinor = StreamFormat.versionMinor
        self.headerRepeatInterval = headerRepeatInterval
        self.headerPayload = header.encodePayload()
    }

    /// The first HEADER packet; empty if it was already written. Every other call writes it first when
    /// needed, so calling this is only required to send the header before the first frame is ready.
    public mutating func begin() -> [UInt8] { beginPackets().bytes }

    /// `begin()` as packet values: the HEADER, or none.
    public mutating func beginPackets() -> [Packet] {
        guard !begun else { return [] }
        begun = true
        tokensSinceHeader = 0
        return [emit(.header, [], StreamFormat.noPTS, headerPayload)]
    }

    /// One TOKENS packet (§4.2) for a latent frame covering the source frames with timestamps `pts`, preceded
    /// by the HEADER (first call) or a repeated HEADER when one is due (§5.2). The writer numbers the latent
    /// frame and its first source frame. `tokens` is (h, w) row-major; `latents` (h, w, c) channels-last,
    /// given exactly when the header has `.continuousLatents`. Latent 0 of a segment covers 1 frame, later
    /// ones `T`, except the segment's last one, which may cover fewer.
    public mutating func tokensPacket(pts: [Int64], tokens: [UInt16], latents: [Float]? = nil,
                                      flags: PacketFlags = []) throws(StreamError) -> [UInt8] {
        try tokensPackets(pts: pts, tokens: tokens, latents: latents, flags: flags).bytes
    }

    /// `tokensPacket` as packet values: [HEADER,] [repeated HEADER,] TOKENS.
    public mutating func tokensPackets(pts: [Int64], tokens: [UInt16], latents: [Float]? = nil,
                                       flags: PacketFlags = []) throws(StreamError) -> [Packet] {
        guard !isEnded else { throw .invalidArgument("the stream has ended") }
        guard !segmentClosed else {
            throw .invalidArgument("a latent frame covering fewer than \(header.temporalFactor) frames must be the segment's last")
        }
        let frame = TokenFrame(latentIndex: latentIndex, frameIndex: framesIn, pts: pts, tokens: tokens, latents: latents)
        if let problem = frame.violation(against: header) { throw .invalidArgument(problem) }
        if latentIndex == 0 && pts.count != 1 { throw .invalidArgument("latent 0 of a segment covers exactly 1 frame") }

        var out = beginPackets()
        if headerRepeatInterval > 0 && tokensSinceHeader >= headerRepeatInterval {
            out.append(emit(.header, .repeated, StreamFormat.noPTS, headerPayload))
            tokensSinceHeader = 0
        }
        out.append(emit(.tokens, flags, pts[0], frame.encodePayload(), frameCount: pts.count))
        if latentIndex > 0 && pts.count < header.temporalFactor { segmentClosed = true }
        latentIndex += 1
        tokensSinceHeader += 1
        framesIn += pts.count
        latentFramesOut += 1
        return out
    }

    /// Starts a new segment (§5.3), e.g. after the source frame size changed: returns its HEADER. The writer
    /// sets `segment` to the current one + 1 and keeps the stream id; the rest comes from `newHeader`.
    public mutating func newSegment(_ newHeader: StreamHeader) throws(StreamError) -> [UInt8] {
        try newSegmentPackets(newHeader).bytes
    }

    /// `newSegment` as packet values: [first HEADER,] the segment's HEADER.
    public mutating func newSegmentPackets(_ newHeader: StreamHeader) throws(StreamError) -> [Packet] {
        guard !isEnded else { throw .invalidArgument("the stream has ended") }
        var next = newHeader
        next.segment = header.segment + 1
        next.streamID = header.streamID
        next.versionMajor = StreamFormat.versionMajor
        next.versionMinor = StreamFormat.versionMinor
        if let problem = next.violation() { throw .invalidArgument(problem) }
        var out = beginPackets()
        header = next
        headerPayload = next.encodePayload()
        latentIndex = 0
        tokensSinceHeader = 0
        segmentClosed = false
        out.append(emit(.header, [], StreamFormat.noPTS, headerPayload))
        return out
    }

    /// The END packet (§4.3) with the writer's counts; empty if the stream has already ended.
    public mutating func endPacket(reason: EndReason, message: String = "") -> [UInt8] {
        endPackets(reason: reason, message: message).bytes
    }

    /// `endPacket` as packet values: [HEADER,] END; none if the stream has already ended.
    public mutating func endPackets(reason: EndReason, message: String = "") -> [Packet] {
        guard !isEnded else { return [] }
        var out = beginPackets()
        let info = EndInfo(framesIn: framesIn, latentFramesOut: latentFramesOut, reason: reason, message: message)
        out.append(.end(info, sequence: nextSequence))
        nextSequence += 1
        isEnded = true
        return out
    }

    /// A packet of a type this version does not define (§4: readers skip it), for extensions and tests.
    public mutating func extensionPacket(type: PacketType, flags: PacketFlags = [], pts: Int64 = StreamFormat.noPTS,
                                         payload: [UInt8]) throws(StreamError) -> [UInt8] {
        try extensionPackets(type: type, flags: flags, pts: pts, payload: payload).bytes
    }

    /// `extensionPacket` as packet values: [HEADER,] the packet.
    public mutating func extensionPackets(type: PacketType, flags: PacketFlags = [], pts: Int64 = StreamFormat.noPTS,
                                          payload: [UInt8]) throws(StreamError) -> [Packet] {
        guard ![PacketType.header, .tokens, .end].contains(type) else {
            throw .invalidArgument("\(type) packets are written by their own methods")
        }
        guard payload.count <= StreamFormat.maxPayloadLength else { throw .invalidArgument("payload over 16 MiB") }
        guard !isEnded else { throw .invalidArgument("the stream has ended") }
        return beginPackets() + [emit(type, flags, pts, payload)]
    }

    private mutating func emit(_ type: PacketType, _ flags: PacketFlags, _ pts: Int64, _ payload: [UInt8],
                               frameCount: Int = 0) -> Packet {
        defer { nextSequence += 1 }
        return Packet(type: type, flags: flags, sequence: nextSequence, pts: pts, payload: payload, frameCount: frameCount)
    }
}
