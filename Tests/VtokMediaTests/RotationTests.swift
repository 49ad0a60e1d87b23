// Display rotation (a phone's portrait video): read from the container's matrix and applied as ffmpeg's
// autorotate does, so tokens see the upright picture (issue 14: rotation metadata was ignored).
import Foundation
import XCTest
@testable import VtokMedia

final class RotationTests: XCTestCase {
    /// An mp4 of 48x32 frames whose tkhd matrix says "turn a quarter clockwise" (ffprobe: rotation=-90).
    /// FFmpeg 5.1 writes no matrix from `-metadata rotate=90`, so the bytes are set by hand.
    func rotatedClip(_ matrix: [Int32]) throws -> String {
        let plain = try Fixtures.testsrc("rot-src.mp4", size: "48x32", seconds: 0.2, extra: ["-c:v", "mpeg4"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: plain)))
        let tkhd = try XCTUnwrap((0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == Array("tkhd".utf8) })
        for (i, v) in matrix.enumerated() {
            for k in 0..<4 { bytes[tkhd + 44 + 4 * i + k] = UInt8(truncatingIfNeeded: UInt32(bitPattern: v) >> (8 * (3 - k))) }
        }
        return try Fixtures.file("rot-\(matrix.map(String.init).joined(separator: "_")).mp4", Data(bytes))
    }

    func testQuarterTurnIsAppliedAndSizesAreUpright() throws {
        let clip = try rotatedClip([0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x4000_0000])
        var options = MediaReaderOptions(size: .source)
        let upright = try MediaReader(path: clip, options: options)
        XCTAssertEqual(upright.info.rotation, -90)
        XCTAssertEqual(upright.info.appliedQuarterTurns, 1)
        XCTAssertEqual(upright.info.sourceSize, FrameSize(width: 32, height: 48))
        let turned = try Fixtures.readAll(upright)
        options.autorotate = false
        let stored = try Fixtures.readAll(try MediaReader(path: clip, options: options))
        XCTAssertEqual(turned.count, stored.count)
        XCTAssertGreaterThan(turned.count, 0)
        for (a, b) in zip(turned, stored) {
            XCTAssertEqual([a.width, a.height], [32, 48])
            XCTAssertEqual([b.width, b.height], [48, 32])
            XCTAssertEqual(a.pixels, MediaReader.turn(b.pixels, size: FrameSize(width: 48, height: 32), quarters: 1))
        }
        // The default size policy plans for the upright picture: short side 256 -> 256x384.
        XCTAssertEqual(try MediaReader(path: clip).info.outputSize, FrameSize(width: 256, height: 384))
    }

    func testTurnsAndAngles() {
        let w = 3, h = 2
        let px = (0..<(w * h * 3)).map { UInt8($0) }
        let size = FrameSize(width: w, height: h)
        // Clockwise: the top-left pixel goes to the top-right corner of the (h, w) = (3, 2) result.
        let once = MediaReader.turn(px, size: size, quarters: 1)
        XCTAssertEqual(Array(once[3..<6]), Array(px[0..<3]))
        XCTAssertEqual(MediaReader.turn(MediaReader.turn(px, size: size, quarters: 2), size: size, quarters: 2), px)
        XCTAssertEqual(MediaReader.turn(MediaReader.turn(px, size: size, quarters: 1), size: FrameSize(width: h, height: w),
                                        quarters: 3), px)
        XCTAssertEqual([-90, 90, 180, -180, 0, 45, 270, 89].map(MediaReader.quarterTurns), [1, 3, 2, 2, 0, 0, 1, 3])
        XCTAssertEqual(MediaReader.rotation(matrix: [0, 0, 0, 0, 0, 0, 0, 0, 0]), 0, "a degenerate matrix")
    }
}
