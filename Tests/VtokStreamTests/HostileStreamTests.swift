// Streams crafted to trap, stall or exhaust a reader (issue 14): extreme sequence numbers, fake packet headers
// that make resynchronisation quadratic, and the CRC arithmetic that keeps it linear (docs/token-stream.md §6.1, §8).
import XCTest
@testable import VtokStream

final class HostileStreamTests: XCTestCase {
    /// A packet header with a valid header_crc announcing `length` payload bytes that never come (§3).
    static func fakeHeader(length: UInt32, sequence: UInt64 = 7) -> [UInt8] {
        var h = StreamFormat.sync + [PacketType.tokens.rawValue, 0, 0, 0]
        h.appendLE(sequence)
        h.appendLE(Int64(0))
        h.appendLE(length)
        h.appendLE(CRC32C.checksum(h))
        return h
    }

    func testCombineMatchesDirectCRC() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let a = (0..<Int.random(in: 0..<300, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            let b = (0..<Int.random(in: 0..<300, using: &g)).map { _ in UInt8.random(in: 0...255, using: &g) }
            XCTAssertEqual(CRC32C.combine(CRC32C.checksum(a), CRC32C.checksum(b), lengthB: b.count), CRC32C.checksum(a + b))
        }
    }

    func testIndexGivesTheCRCOfAnyRange() {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &g) }
        var index = CRCIndex()
        for _ in 0..<2000 {
            let a = Int.random(in: 0...bytes.count, using: &g), b = Int.random(in: 0...bytes.count, using: &g)
            let r = min(a, b)..<max(a, b)
            XCTAssertEqual(index.checksum(bytes, r), CRC32C.checksum(bytes[r]), "\(r)")
        }
        XCTAssertLessThan(index.checksummedBytes, 2000 * 2 * CRCIndex.stride + bytes.count)
    }

    /// 500 fake headers 32 bytes apart, each claiming 1 MiB, then a real stream and enough zeros that every claim
    /// is complete. Before: each candidate's CRC ran over its whole claimed length (500 MiB of CRC for 1 MiB of
    /// input, 23 s for the 2,000 x 16 MiB). Now the work is bounded per byte fed, and nothing is lost.
    func testResyncWorkIsLinearInTheBytesScanned() throws {
        let claim = 1 << 20
        var bytes: [UInt8] = []
        for i in 0..<500 { bytes += Self.fakeHeader(length: UInt32(claim), sequence: UInt64(i)) }
        let junk = bytes.count
        let real = try Reference.basic()
        bytes += real + [UInt8](repeating: 0, count: claim + 64)
        for chunk in [1 << 16, 4093] {
            var r = StreamReader()
            var frames = 0, skipped = 0
            var i = 0
            while i < bytes.count {
                r.feed(bytes[i..<min(bytes.count, i + chunk)])
                i += chunk
                while let e = try r.next() {
                    if case .tokens = e { frames += 1 }
                    if case .skipped(let n, _) = e { skipped += n }
                }
            }
            print("resync: \(r.checksummedBytes) bytes of CRC for \(bytes.count) bytes fed (chunk \(chunk))")
            XCTAssertEqual(frames, 4, "every packet of the real stream is found")
            XCTAssertEqual(skipped, junk)
            XCTAssertLessThanOrEqual(r.checksummedBytes, 41 * bytes.count, "CRC work per byte fed (§8)")
            XCTAssertLessThan(r.checksummedBytes, 8 * bytes.count, "in practice: a few bytes of CRC per byte")
        }
    }

    /// A valid packet that starts inside a damaged candidate is still found (§6.1 step 4), also when the
    /// candidate's claimed end lies beyond the packet.
    func testPacketInsideAFailedCandidateIsFound() throws {
        let real = try Reference.basic()
        let fake = Self.fakeHeader(length: UInt32(real.count))        // covers the whole real stream
        let (out, final) = readAll(fake + real + [UInt8](repeating: 0x55, count: 40), chunk: 97)
        XCTAssertEqual(out.tokenFrames.count, 4)
        XCTAssertEqual(out.first, .event(.skipped(bytes: fake.count, reason: .crcMismatch(sequence: 7))))
        XCTAssertEqual(final, .truncated(trailingBytes: 40))
    }

    /// Sequence 2^64-1 (allowed by the field) then a wrap to 0: the gaps are reported as they are, no trap.
    func testExtremeSequenceNumbers() throws {
        var w = try StreamWriter(header: Reference.header(h: 1, w: 1, source: .init(width: 8, height: 8), id: 9))
        var bytes = w.begin()
        for seq: UInt64 in [.max, 0, .max - 1, 5] {
            bytes += PacketHeader.encode(type: PacketType(rawValue: 77), flags: [], sequence: seq, pts: 0, payload: [1])
        }
        let (out, _) = readAll(bytes)
        let gaps = out.compactMap { o -> UInt64? in
            if case .event(.discontinuity(_, let m)) = o { return m } else { return nil }
        }
        // max after 0: max-1 missing; 0 after max: the wrapped next one; max-1 after 0; 5 after max-1: backwards.
        XCTAssertEqual(gaps, [UInt64.max - 1, UInt64.max - 2, 0])
    }
    /// One fake header claiming 16 MiB before a 1 KB stream hid the whole stream (the reader waited for bytes
    /// that never came). After `endInput()` the claim is invalid and the packets after it are found (§6.2).
    func testClaimPastTheEndOfInputDoesNotHideTheStream() throws {
        let real = try Reference.basic()
        let fake = Self.fakeHeader(length: UInt32(StreamFormat.maxPayloadLength))
        var r = StreamReader()
        r.feed(fake + real)
        var frames = 0, ended = false
        while let e = try r.next() { if case .tokens = e { frames += 1 } }
        XCTAssertEqual(frames, 0, "while input may still come, the reader waits for the claimed packet")
        r.endInput()
        while let e = try r.next() {
            if case .tokens = e { frames += 1 }
            if case .end = e { ended = true }
        }
        XCTAssertEqual(frames, 4)
        XCTAssertTrue(ended)
        XCTAssertNil(r.finish())
    }
}
