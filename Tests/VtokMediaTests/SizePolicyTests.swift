// The size policy: short side, exact size, crop.
import XCTest
@testable import VtokMedia

final class SizePolicyTests: XCTestCase {
    private func plan(_ w: Int, _ h: Int, _ request: SizeRequest = .shortSide(256), crop: Bool = false) throws -> ScalePlan {
        try SizePolicy.plan(source: FrameSize(width: w, height: h), request: request, factor: 8, crop: crop)
    }

    func testShortSideKeepsAspectAndRoundsToFactor() throws {
        XCTAssertEqual(try plan(1920, 1080).output, FrameSize(width: 456, height: 256))   // 455.1 -> 456
        XCTAssertEqual(try plan(1080, 1920).output, FrameSize(width: 256, height: 456))
        XCTAssertEqual(try plan(320, 240).output, FrameSize(width: 344, height: 256))     // 341.3 -> 344
        XCTAssertEqual(try plan(640, 480, .shortSide(120)).output, FrameSize(width: 160, height: 120))
    }

    func testSquare256IsUsedAsIs() throws {
        let p = try plan(256, 256, crop: true)
        XCTAssertEqual(p.output, FrameSize(width: 256, height: 256))
        XCTAssertEqual(p.crop, CropRect(x: 0, y: 0, width: 256, height: 256))
    }

    func testExactSize() throws {
        XCTAssertEqual(try plan(1920, 1080, .exact(FrameSize(width: 256, height: 256))).output,
                       FrameSize(width: 256, height: 256))
        XCTAssertThrowsError(try plan(1920, 1080, .exact(FrameSize(width: 250, height: 256))))
        XCTAssertThrowsError(try plan(1920, 1080, .exact(FrameSize(width: 0, height: 256))))
        XCTAssertThrowsError(try plan(0, 1080))
    }

    func testCropIsCentredToTargetAspect() throws {
        let p = try plan(1920, 1080, .exact(FrameSize(width: 256, height: 256)), crop: true)
        XCTAssertEqual(p.crop, CropRect(x: 420, y: 0, width: 1080, height: 1080))
        let tall = try plan(480, 640, .exact(FrameSize(width: 256, height: 128)), crop: true)
        XCTAssertEqual(tall.crop, CropRect(x: 0, y: 200, width: 480, height: 240))
        // Offsets stay even for 4:2:0 chroma.
        let odd = try plan(101, 51, .exact(FrameSize(width: 16, height: 16)), crop: true)
        XCTAssertEqual(odd.crop.x % 2, 0)
        XCTAssertEqual(odd.crop.height, 51)
        XCTAssertEqual(odd.crop.width, 50)
    }

    func testSourceRequest() throws {
        XCTAssertEqual(try plan(63, 47, .source).output, FrameSize(width: 63, height: 47))
    }
}
