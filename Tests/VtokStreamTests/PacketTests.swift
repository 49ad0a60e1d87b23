// Packet values (Packet.swift): the writer's packets as values carry exactly its bytes and fields, and
// renumbering and discontinuity marking keep both CRCs valid, so a reader takes the result.
import XCTest
@testable import VtokStream

final class PacketTests: XCTestCase {
    /// Writes the same stream twice, once through the byte methods and once through the packet methods.
    private func bothWays() throws -> (bytes: [UInt8], packets: [Packet]) {
        let rate = StreamHeader.Rational(25, 1), base = StreamHeader.Rational(1, 1000)
        let h0 = Reference.header(h: 2, w: 2, source: .init(width: 160, height: 120), rate: rate, base: base, id: 0xC0)
        let h1 = Reference.header(h: 3, w: 2, source: .init(width: 200, height: 300), rate: rate, base: base, id: 0xC0)
        var a = try StreamWriter(header: h0, headerRepeatInterval: 1)
        var b = try StreamWriter(header: h0, headerRepeatInterval: 1)
        var bytes = a.begin()
        var packets = b.beginPackets()
        XCTAssertEqual(b.beginPackets(), [], "the HEADER is written once")
        for (pts, l) in [([Int64(0)], 0), ([40, 80, 120, 160], 1), ([200, 240], 2)] {
            let t = Reference.tokens(latent: l, h: 2, w: 2)
            bytes += try a.tokensPacket(pts: pts, tokens: t)
            packets += try b.tokensPackets(pts: pts, tokens: t)
        }
        bytes += try a.newSegment(h1)
        packets += try b.newSegmentPackets(h1)
        bytes += try a.tokensPacket(pts: [280], tokens: Reference.tokens(latent: 0, h: 3, w: 2), flags: .discontinuity)
        packets += try b.tokensPackets(pts: [280], tokens: Reference.tokens(latent: 0, h: 3, w: 2), flags: .discontinuity)
        bytes += try a.extensionPacket(type: PacketType(rawValue: 64), payload: [0xDE, 0xAD])
        packets += try b.extensionPackets(type: PacketType(rawValue: 64), payload: [0xDE, 0xAD])
        bytes += a.endPacket(reason: .shutdown, message: "arrêt")
        packets += b.endPackets(reason: .shutdown, message: "arrêt")
        XCTAssertEqual(b.endPackets(reason: .shutdown), [], "END is written once")
        return (bytes, packets)
    }

    func testPacketValuesAreTheWritersBytesAndFields() throws {
        let (bytes, packets) = try bothWays()
        XCTAssertEqual(packets.bytes, bytes)
        XCTAssertEqual(packets.map(\.type), [.header, .tokens, .header, .tokens, .header, .tokens, .header,
                                             .tokens, PacketType(rawValue: 64), .end])
        XCTAssertEqual(packets.map(\.sequence), Array(0..<10))
        XCTAssertEqual(packets.map(\.frameCount), [0, 1, 0, 4, 0, 2, 0, 1, 0, 0])
        XCTAssertEqual(packets[2].flags, .repeated)
        XCTAssertEqual(packets[7].flags, .discontinuity)
        XCTAssertEqual(packets.map(\.startsSegment), [true, false, false, false, false, false, true, false, false, false])
        XCTAssertEqual(packets.last?.end, EndInfo(framesIn: 8, latentFramesOut: 4, reason: .shutdown, message: "arrêt"))
        XCTAssertEqual(packets.filter { $0.end != nil }.count, 1, "only END carries an EndInfo")
        var at = 0
        for p in packets {
            // The fields are the ones written in the bytes.
            guard case .success(let h)? = PacketHeader.parse(bytes, at: at) else { return XCTFail("packet at \(at)") }
            XCTAssertEqual(h, p.header)
            XCTAssertEqual(Array(p.payload), Array(bytes[(at + 32)..<(at + 32 + Int(h.length))]))
            if p.type == .tokens { XCTAssertEqual(Int(p.payload[p.payload.startIndex + 4]), p.frameCount) }
            at += p.bytes.count
        }
        XCTAssertEqual(at, bytes.count)
    }

    func testDroppableAsSection5_5Says() throws {
        let (_, packets) = try bothWays()
        XCTAssertEqual(packets.map(\.isDroppable), [false, true, true, true, true, true, false, true, true, false])
    }

    func testResequencedHeaderReadsAsAJoinersStart() throws {
        let (_, packets) = try bothWays()
        let header = packets[0]
        let joined = header.resequenced(4)
        XCTAssertEqual(joined.sequence, 4)
        XCTAssertEqual(header.sequence, 0, "the original is unchanged")
        XCTAssertEqual(joined.payload, header.payload)
        XCTAssertEqual(joined.flags, header.flags)
        XCTAssertNotEqual(joined.bytes, header.bytes)
        assertCRCsValid(joined)
        XCTAssertEqual(joined.resequenced(0), header, "renumbering back gives the original bytes")

        // A joiner after packet 4: the renumbered HEADER, then packets 5... A reader sees no gap, no damage.
        let stream = joined.bytes + packets[5...].map(\.bytes).joined()
        let (out, final) = readAll(Array(stream))
        XCTAssertNil(final)
        XCTAssertEqual(discontinuities(out), [.discontinuity(sequence: 7, missing: 0)], "only packet 7's own flag")
        XCTAssertFalse(out.contains { if case .event(.skipped) = $0 { true } else { false } }, "\(out)")
        XCTAssertEqual(out.first, .event(.header(try StreamHeader.decode(payload: header.payload))))
        XCTAssertEqual(out.tokenFrames.count, 2)
    }

    func testMarkedDiscontinuousAfterDropsReadsBack() throws {
        let (bytes, packets) = try bothWays()
        // Drop T1 (packet 3); mark the next one kept, a repeated HEADER.
        let marked = packets[4].markedDiscontinuous()
        XCTAssertEqual(marked.flags, [.repeated, .discontinuity], "other flags are kept")
        XCTAssertEqual(marked.sequence, 4)
        XCTAssertEqual(marked.payload, packets[4].payload)
        assertCRCsValid(marked)
        XCTAssertEqual(marked.markedDiscontinuous(), marked, "marking twice changes nothing more")

        var relayed = packets[4].bytes
        try PacketHeader.markDiscontinuity(&relayed)
        XCTAssertEqual(marked.bytes, relayed, "the same as the byte relay's marking")

        let stream = packets[0..<3].map(\.bytes).joined() + marked.bytes + packets[5...].map(\.bytes).joined()
        let (out, final) = readAll(Array(stream))
        XCTAssertNil(final)
        XCTAssertEqual(discontinuities(out), [.discontinuity(sequence: 4, missing: 1), .discontinuity(sequence: 7, missing: 0)])
        XCTAssertFalse(out.contains { if case .event(.skipped) = $0 { true } else { false } }, "\(out)")
        XCTAssertEqual(out.tokenFrames.map(\.latentIndex), [0, 2, 0])
        XCTAssertEqual(readAll(bytes).outcomes.tokenFrames.map(\.latentIndex), [0, 1, 2, 0])
    }

    func testDaemonsEndPacketSaysWhatItCarries() {
        // "a" and 2048 two-byte characters: 4097 bytes, the last "é" straddles the cut at 4096.
        let long = "a" + String(repeating: "é", count: 2048)
        let end = Packet.end(EndInfo(framesIn: 9, latentFramesOut: 3, reason: .inputError, message: long), sequence: 12)
        XCTAssertEqual(end.type, .end)
        XCTAssertEqual(end.sequence, 12)
        XCTAssertFalse(end.isDroppable)
        XCTAssertEqual(end.end?.message.utf8.count, 4095, "cut at a character boundary, as the payload says")
        assertCRCsValid(end)
        let (out, final) = readAll(end.bytes)
        XCTAssertNil(final)
        XCTAssertEqual(out, [.event(.end(EndInfo(framesIn: 9, latentFramesOut: 3, reason: .inputError,
                                                 message: end.end?.message ?? "")))])
        XCTAssertEqual(EndInfo(framesIn: 9, latentFramesOut: 3, reason: .inputError, message: long).packet(sequence: 12),
                       end.bytes)
    }

    private func discontinuities(_ out: [Outcome]) -> [StreamEvent] {
        out.compactMap { if case .event(let e) = $0, case .discontinuity = e { e } else { nil } }
    }

    private func assertCRCsValid(_ p: Packet, file: StaticString = #filePath, line: UInt = #line) {
        guard case .success(let h)? = PacketHeader.parse(p.bytes, at: 0) else {
            return XCTFail("header CRC", file: file, line: line)
        }
        XCTAssertEqual(h, p.header, file: file, line: line)
        let end = p.bytes.count - 4
        XCTAssertEqual(CRC32C.checksum(p.bytes[0..<end]), p.bytes.loadLE(UInt32.self, at: end), "packet CRC",
                       file: file, line: line)
    }
}
