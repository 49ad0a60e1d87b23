import XCTest
@testable import VtokStream

/// Writer -> reader round trips and the writer's rules (docs/token-stream.md §4, §5).
final class StreamRoundTripTests: XCTestCase {
    func testBasicRoundTrip() throws {
        let (outcomes, final) = readAll(try Reference.basic())
        XCTAssertNil(final)
        let hd = Reference.header(h: 4, w: 6, source: .init(width: 640, height: 360), id: 0xA0)
        XCTAssertEqual(outcomes.headers, [hd], "repeated headers are not reported")
        let frames = outcomes.tokenFrames
        XCTAssertEqual(frames.map(\.frameCount), [1, 4, 4, 2])
        XCTAssertEqual(frames.map(\.latentIndex), [0, 1, 2, 3])
        XCTAssertEqual(frames.map(\.frameIndex), [0, 1, 5, 9])
        XCTAssertEqual(frames.flatMap(\.pts), (0..<11).map { Int64(3003 * $0 + $0 * $0) })
        for f in frames {
            XCTAssertEqual(f.tokens, Reference.tokens(latent: f.latentIndex, h: 4, w: 6))
            XCTAssertNil(f.latents)
        }
        XCTAssertEqual(outcomes.last, .event(.end(EndInfo(framesIn: 11, latentFramesOut: 4, reason: .endOfInput,
                                                          message: "ok"))))
        XCTAssertEqual(outcomes.count, 6)
    }

    func testLatentsAndSegmentsRoundTrip() throws {
        let (lat, f1) = readAll(try Reference.latentsStream())
        XCTAssertNil(f1)
        XCTAssertEqual(lat.tokenFrames.map { $0.latents ?? [] },
                       [Reference.latents(latent: 0, h: 2, w: 3, c: 6), Reference.latents(latent: 1, h: 2, w: 3, c: 6)])

        let (seg, f2) = readAll(try Reference.segmentsStream())
        XCTAssertNil(f2)
        XCTAssertEqual(seg.headers.map(\.segment), [0, 1])
        XCTAssertEqual(seg.headers.map(\.latentHeight), [2, 3])
        XCTAssertEqual(seg.headers[1].modelSize, .init(width: 16, height: 24))
        XCTAssertEqual(seg.tokenFrames.map(\.latentIndex), [0, 1, 0, 1])
        XCTAssertEqual(seg.tokenFrames.map(\.frameIndex), [0, 1, 3, 4])
        XCTAssertTrue(seg.contains(.event(.unknownPacket(type: PacketType(rawValue: 64), sequence: 6, length: 4))))
        XCTAssertTrue(seg.contains(.event(.discontinuity(sequence: 8, missing: 0))))
        guard case .event(.end(let end)) = seg.last else { return XCTFail("no END") }
        XCTAssertEqual(end, EndInfo(framesIn: 8, latentFramesOut: 4, reason: .shutdown, message: "arrêt — shutdown"))
    }

    func testFeedingAnyChunkSizeGivesTheSameEvents() throws {
        for stream in [try Reference.basic(), try Reference.latentsStream(), try Reference.segmentsStream()] {
            let whole = readAll(stream)
            let bytewise = readAll(stream, chunk: 1)
            XCTAssertEqual(bytewise.outcomes, whole.outcomes)
            XCTAssertEqual(bytewise.final, whole.final)
            XCTAssertEqual(readAll(stream, sizes: [3, 31, 7, 64, 1, 200]).outcomes, whole.outcomes)
        }
    }

    func testHeaderIsRepeatedEveryIntervalWithFlag() throws {
        let chunks = try Reference.basicChunks()
        // begin, T0, T1, [H(repeat) T2], T3, END
        let starts = chunks.map { $0[4] }
        XCTAssertEqual(starts, [1, 2, 2, 1, 2, 3])
        XCTAssertEqual(chunks[3][5], PacketFlags.repeated.rawValue)
        guard case .success(let h)? = PacketHeader.parse(chunks[3], at: 0) else { return XCTFail() }
        XCTAssertEqual(h.sequence, 3)
        XCTAssertEqual(h.pts, StreamFormat.noPTS)
    }

    func testWriterRejectsWhatTheFormatCannotCarry() throws {
        let hd = Reference.header(h: 2, w: 2, source: .init(width: 16, height: 16), id: 1)
        var w = try StreamWriter(header: hd)
        let t = Reference.tokens(latent: 0, h: 2, w: 2)
        XCTAssertThrowsError(try w.tokensPacket(pts: [0, 1], tokens: t), "latent 0 covers one frame")
        XCTAssertThrowsError(try w.tokensPacket(pts: [0], tokens: [1, 2, 3]), "wrong grid")
        XCTAssertThrowsError(try w.tokensPacket(pts: [0], tokens: [64000, 0, 0, 0]), "outside vocabulary")
        XCTAssertThrowsError(try w.tokensPacket(pts: [0], tokens: t, latents: [0]), "latents not announced")
        _ = try w.tokensPacket(pts: [0], tokens: t)
        XCTAssertThrowsError(try w.tokensPacket(pts: [1, 2, 3, 4, 5], tokens: t), "more than T frames")
        _ = try w.tokensPacket(pts: [1, 2], tokens: t)
        XCTAssertThrowsError(try w.tokensPacket(pts: [3, 4, 5, 6], tokens: t), "partial group must be last")
        _ = w.endPacket(reason: .endOfInput)
        XCTAssertEqual(w.endPacket(reason: .endOfInput), [])
        XCTAssertThrowsError(try w.tokensPacket(pts: [7], tokens: t))

        var bad = hd
        bad.levels = [256, 256, 2]
        XCTAssertThrowsError(try StreamWriter(header: bad))
        bad = hd
        bad.streamID = [1, 2, 3]
        XCTAssertThrowsError(try StreamWriter(header: bad))
        bad = hd
        bad.flags = .continuousLatents
        bad.latentHeight = 1024
        bad.latentWidth = 1024
        XCTAssertThrowsError(try StreamWriter(header: bad), "TOKENS over 16 MiB")
    }

    func testEndOnlyStreamIsComplete() {
        let info = EndInfo(framesIn: 0, latentFramesOut: 0, reason: .inputError, message: "cannot open input")
        let (out, final) = readAll(info.packet(sequence: 0))
        XCTAssertEqual(out, [.event(.end(info))])
        XCTAssertNil(final)
    }

    func testLongEndMessageIsCutAtACharacterBoundary() throws {
        var w = try StreamWriter(header: Reference.header(h: 1, w: 1, source: .init(width: 8, height: 8), id: 2))
        let bytes = w.endPacket(reason: .other(200), message: "a" + String(repeating: "é", count: 3000))
        let (out, final) = readAll(bytes)
        XCTAssertNil(final)
        guard case .event(.end(let end)) = out.last else { return XCTFail() }
        XCTAssertEqual(end.reason, .other(200))
        XCTAssertEqual(end.message.utf8.count, 4095)
    }

    func testExtensionAreasAndNewerMinorVersionAreAccepted() throws {
        let hd = Reference.header(h: 1, w: 2, source: .init(width: 16, height: 8), id: 3)
        var headerPayload = hd.encodePayload() + [9, 9, 9]
        headerPayload.storeLE(UInt16(7), at: 6)  // version 1.7
        let frame = TokenFrame(latentIndex: 0, frameIndex: 0, pts: [5], tokens: [1, 2])
        var bytes = PacketHeader.encode(type: .header, flags: [], sequence: 0, pts: StreamFormat.noPTS, payload: headerPayload)
        bytes += PacketHeader.encode(type: .tokens, flags: PacketFlags(rawValue: 0x80), sequence: 1, pts: 5,
                                     payload: frame.encodePayload() + [1, 2, 3, 4])
        let (out, _) = readAll(bytes)
        XCTAssertEqual(out.headers.first?.versionMinor, 7)
        XCTAssertEqual(out.tokenFrames, [frame])
    }
}
