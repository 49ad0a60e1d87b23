import XCTest
@testable import VtokStream

/// CRC-32C against published vectors (docs/token-stream.md §2; RFC 3720 §B.4) and a bitwise reference.
final class CRC32CTests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map(UInt8.init)), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }), 0x113F_DB5C)
    }

    func testSlicingMatchesBitwiseAndIncremental() {
        func bitwise(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            }
            return c ^ 0xFFFF_FFFF
        }
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 299] {
            let part = Array(data[0..<n])
            XCTAssertEqual(CRC32C.checksum(part), bitwise(part), "length \(n)")
            for cut in stride(from: 0, through: n, by: 5) {
                var c = CRC32C()
                c.update(part[0..<cut])
                c.update(part[cut...])
                XCTAssertEqual(c.value, bitwise(part), "length \(n) cut \(cut)")
            }
        }
    }
}
