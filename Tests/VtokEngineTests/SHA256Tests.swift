import XCTest
@testable import VtokEngine
import VtokChecksum

final class SHA256Tests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(SHA256.hash(Array("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(SHA256.hash([])),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // 56 bytes: the padding spills into a second block.
        XCTAssertEqual(SHA256.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(SHA256.hex(SHA256.hash(million)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// The incremental hasher over every way of cutting a message (pieces of 0-130 bytes, across block
    /// boundaries and the buffered remainder) gives the one-shot digest, which the vectors above pin.
    func testHasherInPiecesEqualsOneShot() {
        var state: UInt64 = 7
        let message = (0..<3_000).map { i -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33) ^ UInt8(truncatingIfNeeded: i)
        }
        let whole = SHA256.hash(message)
        for piece in [1, 3, 55, 56, 63, 64, 65, 127, 128, 130] {
            var h = SHA256.Hasher()
            var i = 0
            while i < message.count {
                let n = min(piece + (i % 7 == 0 ? 0 : i % 3), message.count - i)   // uneven pieces
                h.update(Array(message[i..<(i + n)]))
                h.update([])                                                   // empty pieces change nothing
                i += n
            }
            XCTAssertEqual(h.finalize(), whole, "pieces of about \(piece) bytes")
        }
        var abc = SHA256.Hasher()
        abc.update(Array("ab".utf8)); abc.update(Array("c".utf8))
        XCTAssertEqual(SHA256.hex(abc.finalize()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Loading from a path reads the file itself (not through Data) and hashes it in the background: the same
    /// identity and file hash as loading its bytes, read from any number of threads at once.
    func testModelFromPathHashesTheFileInTheBackground() throws {
        guard let u = Fixtures.url("tiny-model.safetensors"), let bytes = Fixtures.tinyModelBytes else {
            throw XCTSkip("tiny-model.safetensors missing")
        }
        let fromPath = try VtokModel(path: u.path)
        let fromBytes = try VtokModel(bytes: bytes)
        final class Seen: @unchecked Sendable {      // `lock` guards `hashes`
            let lock = NSLock()
            var hashes: [[UInt8]] = []
        }
        let seen = Seen()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let h = fromPath.sha256
            seen.lock.lock(); seen.hashes.append(h); seen.lock.unlock()
        }
        XCTAssertEqual(seen.hashes, Array(repeating: SHA256.hash(bytes), count: 8))
        XCTAssertEqual(fromPath.sha256, fromBytes.sha256)
        XCTAssertEqual(fromPath.encoderSHA256, fromBytes.encoderSHA256)
        // A folder is not a weights file: the same error as a missing file, no crash.
        let dir = FileManager.default.temporaryDirectory.path
        XCTAssertThrowsError(try VtokModel(path: dir)) {
            XCTAssertEqual($0 as? WeightsError, .cannotRead(path: dir))
        }
    }

    func testModelHashMatchesFileHash() throws {
        let model = try Fixtures.tinyModel()
        XCTAssertEqual(model.sha256.count, 32)
        XCTAssertEqual(model.sha256, SHA256.hash(Fixtures.tinyModelBytes ?? []))
    }
}
