import XCTest
@testable import VtokStream

/// Damaged, cut, joined-late and hostile input (docs/token-stream.md §6): reported, skipped, never a crash.
final class StreamDamageTests: XCTestCase {
    func testTruncationIsReported() throws {
        let chunks = try Reference.basicChunks()
        let withoutEnd = Array(chunks.dropLast().joined())
        let (out, final) = readAll(withoutEnd)
        XCTAssertEqual(out.tokenFrames.count, 4, "everything before the cut is good")
        XCTAssertEqual(final, .truncated(trailingBytes: 0))

        let cut = Array(withoutEnd.dropLast(10))
        let (out2, final2) = readAll(cut)
        XCTAssertEqual(out2.tokenFrames.count, 3)
        XCTAssertEqual(final2, .truncated(trailingBytes: chunks[4].count - 10))
        XCTAssertEqual(readAll([]).final, .truncated(trailingBytes: 0))
    }

    func testCorruptedByteSkipsOnePacketAndResynchronises() throws {
        let chunks = try Reference.basicChunks()
        var bytes = Array(chunks.joined())
        let t1 = chunks[0].count + chunks[1].count           // packet T1, sequence 2
        bytes[t1 + 32 + 16 + 8 * 4 + 5] ^= 0x10              // one token byte
        let (out, final) = readAll(bytes)
        XCTAssertNil(final)
        XCTAssertEqual(out[0], .event(.header(Reference.header(h: 4, w: 6, source: .init(width: 640, height: 360), id: 0xA0))))
        XCTAssertEqual(out[2], .event(.skipped(bytes: chunks[2].count, reason: .crcMismatch(sequence: 2))))
        XCTAssertEqual(out[3], .event(.discontinuity(sequence: 3, missing: 1)))
        XCTAssertEqual(out.tokenFrames.map(\.latentIndex), [0, 2, 3])
        for f in out.tokenFrames { XCTAssertEqual(f.tokens, Reference.tokens(latent: f.latentIndex, h: 4, w: 6)) }

        // A damaged length field is caught by header_crc at once.
        var bytes2 = Array(chunks.joined())
        bytes2[t1 + 25] ^= 0x01
        let (out2, _) = readAll(bytes2)
        XCTAssertEqual(out2[2], .event(.skipped(bytes: chunks[2].count, reason: .headerCRCMismatch)))
    }

    /// damaged.vtok (§9): the events the Python reader must report too.
    func testDamagedReferenceStream() throws {
        let chunks = try Reference.basicChunks()
        let (out, final) = readAll(try Reference.damaged())
        let hd = Reference.header(h: 4, w: 6, source: .init(width: 640, height: 360), id: 0xA0)
        func frame(_ l: Int, _ first: Int, _ n: Int) -> Outcome {
            .event(.tokens(TokenFrame(latentIndex: l, frameIndex: first,
                                      pts: (first..<(first + n)).map { Int64(3003 * $0 + $0 * $0) },
                                      tokens: Reference.tokens(latent: l, h: 4, w: 6))))
        }
        XCTAssertEqual(out, [
            .event(.skipped(bytes: 7, reason: .badMagic)), .event(.header(hd)), frame(0, 0, 1),
            .event(.skipped(bytes: chunks[2].count, reason: .crcMismatch(sequence: 2))),
            .event(.discontinuity(sequence: 3, missing: 1)), frame(2, 5, 4), frame(3, 9, 2),
        ])
        XCTAssertEqual(final, .truncated(trailingBytes: chunks[5].count - 5))
    }

    func testGarbageBeforeTheFirstHeaderIsSkipped() throws {
        let garbage: [UInt8] = Array("not a stream \u{8A}VT".utf8) + [0x8A, 0x56, 0x54, 0x4B, 1, 2, 3]
        let (out, final) = readAll(garbage + (try Reference.basic()), chunk: 5)
        XCTAssertNil(final)
        XCTAssertEqual(out.first, .event(.skipped(bytes: garbage.count, reason: .badMagic)))
        XCTAssertEqual(out.tokenFrames.count, 4)
    }

    func testReaderJoiningMidStreamStartsAtARepeatedHeader() throws {
        let chunks = try Reference.basicChunks()
        // Join inside T0: garbage up to T1, T1 without a header, then H(repeat), T2, T3, END.
        let joined = Array(chunks[1].suffix(20)) + Array(chunks[2...].joined())
        let (out, final) = readAll(joined)
        XCTAssertNil(final)
        XCTAssertEqual(out[0], .event(.skipped(bytes: 20, reason: .badMagic)))
        XCTAssertEqual(out[1], .event(.skipped(bytes: chunks[2].count, reason: .missingHeader)))
        XCTAssertEqual(out.headers.count, 1)
        XCTAssertEqual(out.tokenFrames.map(\.latentIndex), [2, 3])
        XCTAssertEqual(out.tokenFrames.map(\.frameIndex), [5, 9])
    }

    func testUnknownPacketTypeIsSkipped() throws {
        var w = try StreamWriter(header: Reference.header(h: 1, w: 1, source: .init(width: 8, height: 8), id: 4))
        var bytes = try w.extensionPacket(type: PacketType(rawValue: 200), payload: Array(repeating: 7, count: 100))
        bytes += try w.tokensPacket(pts: [0], tokens: [42])
        bytes += w.endPacket(reason: .endOfInput)
        let (out, final) = readAll(bytes)
        XCTAssertNil(final)
        XCTAssertEqual(out[1], .event(.unknownPacket(type: PacketType(rawValue: 200), sequence: 1, length: 100)))
        XCTAssertEqual(out.tokenFrames.map(\.tokens), [[42]])
    }

    func testOverLimitLengthIsRejectedWithoutWaitingForIt() throws {
        // A packet header with a valid header_crc announcing a 4 GiB payload, then a real stream.
        var fake = StreamFormat.sync + [2, 0, 0, 0] + [UInt8](repeating: 0, count: 16)
        fake.appendLE(UInt32.max)
        fake.appendLE(CRC32C.checksum(fake))
        var r = StreamReader()
        r.feed(fake + (try Reference.basic()))
        XCTAssertEqual(try r.next(), .skipped(bytes: 32, reason: .packetTooLarge(length: UInt32.max)))
        guard case .header? = try r.next() else { return XCTFail("the real stream is read at once") }

        // Alone at the end of input it does not hold the reader either.
        let (_, final) = readAll(fake)
        XCTAssertEqual(final, .truncated(trailingBytes: 32))
    }

    func testUnsupportedMajorVersionThrowsThenTokensAreSkipped() throws {
        let hd = Reference.header(h: 1, w: 1, source: .init(width: 8, height: 8), id: 5)
        var payload = hd.encodePayload()
        payload.storeLE(UInt16(2), at: 4)
        var bytes = PacketHeader.encode(type: .header, flags: [], sequence: 0, pts: StreamFormat.noPTS, payload: payload)
        bytes += PacketHeader.encode(type: .tokens, flags: [], sequence: 1, pts: 0,
                                     payload: TokenFrame(latentIndex: 0, frameIndex: 0, pts: [0], tokens: [1]).encodePayload())
        let (out, _) = readAll(bytes)
        XCTAssertEqual(out[0], .thrown(.unsupportedVersion(major: 2, minor: StreamFormat.versionMinor)))
        guard case .event(.skipped(_, .missingHeader)) = out[1] else { return XCTFail("\(out)") }
    }

    func testMalformedButValidPacketsAreSkipped() throws {
        let hd = Reference.header(h: 1, w: 2, source: .init(width: 16, height: 8), id: 6)
        var badHeader = hd.encodePayload()
        badHeader.storeLE(UInt32(1234), at: 64)  // vocabulary_size that is not the product of the levels
        let good = PacketHeader.encode(type: .header, flags: [], sequence: 0, pts: StreamFormat.noPTS, payload: hd.encodePayload())
        let frame = TokenFrame(latentIndex: 0, frameIndex: 0, pts: [9], tokens: [1, 2]).encodePayload()
        let cases: [[UInt8]] = [
            PacketHeader.encode(type: .header, flags: [], sequence: 0, pts: StreamFormat.noPTS, payload: badHeader),
            good + PacketHeader.encode(type: .tokens, flags: [], sequence: 1, pts: 8, payload: frame),       // pts != pts[0]
            good + PacketHeader.encode(type: .tokens, flags: [], sequence: 1, pts: 9, payload: Array(frame.dropLast())),
            good + PacketHeader.encode(type: .tokens, flags: [], sequence: 1, pts: 9,
                                       payload: TokenFrame(latentIndex: 0, frameIndex: 0, pts: [9], tokens: [64000, 0]).encodePayload()),
            good + PacketHeader.encode(type: .end, flags: [], sequence: 1, pts: 0, payload: [1, 2, 3]),
        ]
        for bytes in cases {
            let (out, final) = readAll(bytes)
            XCTAssertTrue(out.contains { if case .event(.skipped(_, .malformed)) = $0 { true } else { false } }, "\(out)")
            XCTAssertEqual(out.tokenFrames, [])
            XCTAssertNotNil(final)
        }
    }

    func testRelayMarksDiscontinuityAfterDroppingPackets() throws {
        var chunks = try Reference.basicChunks()
        chunks.remove(at: 2)                                   // drop T1
        try PacketHeader.markDiscontinuity(&chunks[2])         // flag the next forwarded packet (H repeat + T2)
        let (out, final) = readAll(Array(chunks.joined()))
        XCTAssertNil(final)
        XCTAssertEqual(out[2], .event(.discontinuity(sequence: 3, missing: 1)))
        XCTAssertEqual(out.tokenFrames.map(\.latentIndex), [0, 2, 3])
        var broken = chunks[1]
        broken[40] ^= 1
        XCTAssertThrowsError(try PacketHeader.markDiscontinuity(&broken))
    }

    /// Flips, cuts, duplicates and inserts bytes with a fixed seed: the reader must never crash, must give
    /// the same events whatever the chunking, and everything it reports must fit its header.
    func testFuzzDamagedStreamsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x5EED_0F_7710C)
        let sources = [try Reference.basic(), try Reference.latentsStream(), try Reference.segmentsStream()]
        for round in 0..<1000 {
            var bytes = sources[round % sources.count]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(max(bytes.count, 1)))
                switch rng.next() % 5 {
                case 0: if !bytes.isEmpty { bytes[at] ^= UInt8(1 << (rng.next() % 8)) }
                case 1: bytes = Array(bytes.prefix(at))
                case 2: bytes.insert(contentsOf: (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
                case 3: bytes.removeSubrange(at..<min(bytes.count, at + Int(rng.next() % 50)))
                default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 80)], at: at)
                }
            }
            let whole = readAll(bytes)
            let pieces = readAll(bytes, sizes: [1 + Int(rng.next() % 13), 1 + Int(rng.next() % 97)])
            XCTAssertEqual(whole.outcomes, pieces.outcomes, "round \(round)")
            XCTAssertEqual(whole.final, pieces.final, "round \(round)")
            var header: StreamHeader?
            for o in whole.outcomes {
                if case .event(.header(let h)) = o { header = h }
                if case .event(.tokens(let f)) = o, let h = header {
                    XCTAssertEqual(f.tokens.count, h.tokenCount)
                    XCTAssertTrue((1...h.temporalFactor).contains(f.frameCount))
                }
            }
        }
    }
}

/// A small deterministic generator for the fuzz test.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension StreamDamageTests {
    /// Version 1.1 defines encoder_sha256 after the model name: a 1.1 header cut before it is malformed, a 1.0
    /// header without it is read with no identity (docs/token-stream.md §4.1).
    func testHeaderVersion11NeedsEncoderSHA256() throws {
        let hd = Reference.header(h: 1, w: 1, source: .init(width: 8, height: 8), id: 6)
        let full = hd.encodePayload()
        let short = Array(full.dropLast(32))
        XCTAssertThrowsError(try StreamHeader.decode(payload: short[...])) { error in
            guard case .malformed = error as? StreamError else { return XCTFail("\(error)") }
        }
        var old = short
        old.storeLE(UInt16(0), at: 6)                                    // version 1.0: the field does not exist
        let h = try StreamHeader.decode(payload: old[...])
        XCTAssertNil(h.encoderSHA256)
        XCTAssertEqual(h.versionMinor, 0)
        var named = hd
        named.encoderSHA256 = (0..<32).map { UInt8($0) }
        XCTAssertEqual(try StreamHeader.decode(payload: named.encodePayload()[...]).encoderSHA256, named.encoderSHA256)
    }
}
