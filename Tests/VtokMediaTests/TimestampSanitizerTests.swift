// Timestamp repair and rational rescaling.
import XCTest
@testable import VtokMedia

final class TimestampSanitizerTests: XCTestCase {
    func testMissingAndBackwards() {
        var s = TimestampSanitizer(frameDuration: 40)
        XCTAssertEqual(s.next(nil), 0)
        XCTAssertEqual(s.next(40), 40)
        XCTAssertEqual(s.next(nil), 80)
        XCTAssertEqual(s.next(0), 120)    // jump back (concatenated stream): continue after the last
        XCTAssertEqual(s.next(40), 160)   // spacing kept
        XCTAssertEqual(s.next(200), 320)
        XCTAssertEqual(s.repaired, 3)
    }

    func testFrameDuration() {
        XCTAssertEqual(TimestampSanitizer.frameDuration(frameRate: Rational(25, 1), timeBase: Rational(1, 1000)), 40)
        XCTAssertEqual(TimestampSanitizer.frameDuration(frameRate: Rational(30000, 1001), timeBase: Rational(1, 90000)), 3003)
        XCTAssertEqual(TimestampSanitizer.frameDuration(frameRate: Rational(0, 1), timeBase: Rational(1, 1000)), 1)
    }
}

final class RationalTests: XCTestCase {
    func testRescale() {
        XCTAssertEqual(Rational.rescale(25, from: Rational(1, 25), to: Rational(1, 12800)), 12800)
        XCTAssertEqual(Rational.rescale(1, from: Rational(1, 3), to: Rational(1, 2)), 1)     // 0.667 -> 1
        XCTAssertEqual(Rational.rescale(-1, from: Rational(1, 2), to: Rational(1, 1)), -1)   // -0.5 -> -1
        XCTAssertEqual(Rational.rescale(Int64.max / 2, from: Rational(1, 1), to: Rational(1, 1000)) > 0, true)
    }
}

extension TimestampSanitizerTests {
    func testGarbageTimestampsDoNotTrap() {
        var s = TimestampSanitizer(frameDuration: Int64.max)
        XCTAssertEqual(s.frameDuration, TimestampSanitizer.maxFrameDuration)
        _ = s.next(Int64.max - 1)
        _ = s.next(Int64.min + 1)
        _ = s.next(nil)
        XCTAssertEqual(s.repaired, 2)
    }
}
