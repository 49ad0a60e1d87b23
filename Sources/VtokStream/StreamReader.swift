// Bytes -> values, incrementally: finds packets, checks them, resynchronises after damage
// (docs/token-stream.md §6). No I/O: feed it chunks from any source.

/// Reads a token stream from byte chunks of any size.
///
/// ```swift
/// var r = StreamReader()
/// for chunk in chunks {
///     r.feed(chunk)
///     while let event = try r.next() { handle(event) }
/// }
/// r.endInput()                                       // then drain once more:
/// while let event = try r.next() { handle(event) }
/// if let problem = r.finish() { report(problem) }     // .truncated when END never came
/// ```
///
/// `endInput()` says no more bytes will come: a candidate whose claimed packet runs past the end is then
/// invalid (skipped by one byte, §6.2), so one fake header claiming 16 MiB cannot hide the packets after it.
///
/// Damage never stops the reader: it reports `.skipped` and goes on at the next valid packet (§6.1).
/// `next()` throws only `StreamError.unsupportedVersion` (§7); after it, reading may go on and the segment's
/// TOKENS are reported as skipped. The reader never buffers more than one packet, at most
/// `36 + StreamFormat.maxPayloadLength` bytes, plus the unread part of the last chunk.
public struct StreamReader: Sendable {
    /// The current header, nil before the first one, after END, or after an unusable one.
    public private(set) var header: StreamHeader?

    private var buffer: [UInt8] = []
    private var position = 0                // first unconsumed byte of `buffer`
    private var skippedBytes = 0            // skipped since the last valid packet (§6.1 step 5)
    private var skipReason: StreamError?
    private var headerPayload: [UInt8]?     // raw payload of `header`, to recognise repeats (§5.2)
    private var streamID: [UInt8]?          // of the stream being read, until its END (§5.4)
    private var lastSequence: UInt64?       // nil at the start of a stream (§5.4)
    private var lastWasEnd = false
    private var pending: [Result<StreamEvent, StreamError>] = []
    private var pendingIndex = 0
    private var crcs = CRCIndex()            // packet CRCs in constant work per candidate (§6.1, §8)
    private var headerCRCBytes = 0
    private var inputEnded = false

    /// Bytes read to compute CRCs so far: packet headers, checkpoints and candidates' unaligned ends. At most
    /// 41 per byte fed (§8 "resync work"), whatever the bytes are: a candidate starts at a sync (at most one
    /// per 4 bytes) and costs 28 bytes of header CRC plus at most 128 bytes read directly; checkpoints read
    /// each byte at most twice.
    public var checksummedBytes: Int { crcs.checksummedBytes + headerCRCBytes }

    public init() {}

    /// Appends input. Bytes already consumed are released from time to time.
    public mutating func feed<S: Sequence<UInt8>>(_ bytes: S) {
        if position > 0 && position >= buffer.count / 2 {
            buffer.removeFirst(position)
            position = 0
            crcs.reset()
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next event, or nil when more input is needed.
    public mutating func next() throws(StreamError) -> StreamEvent? {
        while true {
            if pendingIndex < pending.count {
                let r = pending[pendingIndex]
                pendingIndex += 1
                if pendingIndex == pending.count {
                    pending.removeAll(keepingCapacity: true)
                    pendingIndex = 0
                }
                switch r {
                case .success(let e): return e
                case .failure(let e): throw e
                }
            }
            guard let (packet, start) = findPacket() else { return nil }
            handle(packet, start: start)
        }
    }

    /// The input has ended: packets that would need more bytes can no longer come. Call `next()` until nil
    /// again afterwards, then `finish()`.
    public mutating func endInput() { inputEnded = true }

    /// Call when the input has ended and `next()` has returned nil. Returns nil when the stream is complete
    /// (its last packet was END and nothing followed), else `.truncated` with the count of trailing bytes
    /// that did not form a valid packet (§6.2).
    public func finish() -> StreamError? {
        let trailing = skippedBytes + (buffer.count - position)
        return trailing == 0 && lastWasEnd ? nil : .truncated(trailingBytes: trailing)
    }

    // MARK: - §6.1 finding packets

    private mutating func skip(_ count: Int, _ reason: StreamError) {
        if skippedBytes == 0 { skipReason = reason }
        skippedBytes += count
        position += count
    }

    /// The next valid packet in the buffer and where it starts, skipping everything else; nil if it needs
    /// more input.
    private mutating func findPacket() -> (PacketHeader, Int)? {
        let sync = StreamFormat.sync
        while true {
            // Step 1: the next sync bytes.
            var i = position
            let limit = buffer.count - 3
            while i < limit && !(buffer[i] == sync[0] && buffer[i + 1] == sync[1]
                                 && buffer[i + 2] == sync[2] && buffer[i + 3] == sync[3]) {
                i += 1
            }
            if i >= limit {
                // No sync here; the last 3 bytes may begin one that the next chunk completes.
                let keep = min(3, buffer.count - position)
                if buffer.count - keep > position { skip(buffer.count - keep - position, .badMagic) }
                return nil
            }
            if i > position { skip(i - position, .badMagic) }
            // Step 2: the packet header.
            guard let parsed = PacketHeader.parse(buffer, at: position) else { return nil }   // < 32 bytes left
            headerCRCBytes += 28
            let header: PacketHeader
            switch parsed {
            case .failure(let e):
                skip(1, e)
                continue
            case .success(let h):
                header = h
            }
            guard Int(header.length) <= StreamFormat.maxPayloadLength else {
                skip(1, .packetTooLarge(length: header.length))
                continue
            }
            // Step 3: the whole packet and its CRC. Candidates overlap after damage (one may start every 4 bytes
            // inside a claimed 16 MiB): the index gives each one's CRC in constant work, so resync stays linear.
            let end = position + StreamFormat.packetHeaderSize + Int(header.length)
            guard buffer.count >= end + StreamFormat.packetTrailerSize else {
                guard inputEnded else { return nil }
                skip(1, .truncated(trailingBytes: buffer.count - position))     // it can never be whole (§6.2)
                continue
            }
            guard crcs.checksum(buffer, position..<end) == buffer.loadLE(UInt32.self, at: end) else {
                skip(1, .crcMismatch(sequence: header.sequence))
                continue
            }
            return (header, position)
        }
    }

    // MARK: - §6.3, §6.4 interpreting packets

    private mutating func handle(_ packet: PacketHeader, start: Int) {
        let payloadStart = start + StreamFormat.packetHeaderSize
        let payload = buffer[payloadStart..<(payloadStart + Int(packet.length))]
        let total = StreamFormat.packetOverhead + Int(packet.length)
        position = start + total
        if skippedBytes > 0 {
            pending.append(.success(.skipped(bytes: skippedBytes, reason: skipReason ?? .badMagic)))
            skippedBytes = 0
            skipReason = nil
        }

        var event: Result<StreamEvent, StreamError>?
        var startsStream = false
        switch packet.type {
        case .header:
            if let current = headerPayload, current.elementsEqual(payload) { break }  // a repeat (§5.2)
            do {
                let h = try StreamHeader.decode(payload: payload)
                startsStream = streamID != h.streamID
                streamID = h.streamID
                header = h
                headerPayload = Array(payload)
                event = .success(.header(h))
            } catch {
                header = nil
                headerPayload = nil
                if case .unsupportedVersion = error { event = .failure(error) }
                else { event = .success(.skipped(bytes: total, reason: error)) }
            }
        case .tokens:
            if let header {
                do {
                    let f = try TokenFrame.decode(payload: payload, packetPTS: packet.pts, header: header)
                    event = .success(.tokens(f))
                } catch {
                    event = .success(.skipped(bytes: total, reason: error))
                }
            } else {
                event = .success(.skipped(bytes: total, reason: .missingHeader))
            }
        case .end:
            do {
                event = .success(.end(try EndInfo.decode(payload: payload)))
            } catch {
                event = .success(.skipped(bytes: total, reason: error))
            }
        default:
            event = .success(.unknownPacket(type: packet.type, sequence: packet.sequence, length: Int(packet.length)))
        }

        // §6.4: a gap in the sequence, or the flag, unless this packet starts a new stream.
        let expected = startsStream ? nil : lastSequence.map { $0 &+ 1 }
        if packet.flags.contains(.discontinuity) || (expected != nil && expected != packet.sequence) {
            let missing = expected.map { packet.sequence > $0 ? packet.sequence - $0 : 0 } ?? 0
            pending.append(.success(.discontinuity(sequence: packet.sequence, missing: missing)))
        }
        if let event { pending.append(event) }

        lastSequence = packet.sequence
        lastWasEnd = false
        if case .success(.end) = event {
            lastWasEnd = true
            lastSequence = nil
            streamID = nil
            header = nil
            headerPayload = nil
        }
    }
}
