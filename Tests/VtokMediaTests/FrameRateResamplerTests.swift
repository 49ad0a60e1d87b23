// Output frame rate by timestamp, like ffmpeg's fps filter.
import XCTest
@testable import VtokMedia

final class FrameRateResamplerTests: XCTestCase {
    private func run(_ pts: [Int64], tb: Rational, rate: Rational) -> [(Int, Int64)] {
        var r = FrameRateResampler<Int>(inputTimeBase: tb, outputRate: rate)
        var out: [(Int, Int64)] = []
        for (i, p) in pts.enumerated() { out += r.push(i, pts: p).map { ($0.item, $0.pts) } }
        out += r.flush().map { ($0.item, $0.pts) }
        return out
    }

    func testSameRateIsIdentity() {
        let out = run([0, 1, 2, 3], tb: Rational(1, 25), rate: Rational(25, 1))
        XCTAssertEqual(out.map(\.0), [0, 1, 2, 3])
        XCTAssertEqual(out.map(\.1), [0, 1, 2, 3])
    }

    func testDownsampleDropsLaterWins() {
        // 30 fps -> 10 fps: slots round(i / 3).
        let out = run((0..<9).map(Int64.init), tb: Rational(1, 30), rate: Rational(10, 1))
        XCTAssertEqual(out.map(\.1), [0, 1, 2, 3])
        XCTAssertEqual(out.map(\.0), [1, 4, 7, 8])
    }

    func testUpsampleAndGapsDuplicate() {
        // A gap of 3 frames at 25 fps is filled by repeating the frame before it.
        let out = run([0, 1, 4, 5], tb: Rational(1, 25), rate: Rational(25, 1))
        XCTAssertEqual(out.map(\.0), [0, 1, 1, 1, 2, 3])
        XCTAssertEqual(out.map(\.1), [0, 1, 2, 3, 4, 5])
    }

    func testStartsAtFirstSlotAndHandlesNTSC() {
        let out = run([90_000, 93_003, 96_006], tb: Rational(1, 90_000), rate: Rational(30_000, 1001))
        XCTAssertEqual(out.map(\.1), [30, 31, 32])
    }

    func testPushAfterFlushNeverReusesSlot() {
        var r = FrameRateResampler<Int>(inputTimeBase: Rational(1, 25), outputRate: Rational(25, 1))
        _ = r.push(0, pts: 0)
        XCTAssertEqual(r.flush().map(\.pts), [0])
        XCTAssertEqual(r.push(1, pts: 0).count, 0)
        XCTAssertEqual(r.flush().map(\.pts), [1])
    }
}

extension FrameRateResamplerTests {
    func testHugeJumpIsADiscontinuityNotAFlood() {
        var r = FrameRateResampler<Int>(inputTimeBase: Rational(1, 25), outputRate: Rational(25, 1), maxFill: 10)
        XCTAssertEqual(r.push(0, pts: 0).count, 0)
        XCTAssertEqual(r.push(1, pts: 1).map(\.pts), [0])
        XCTAssertEqual(r.push(2, pts: 1_000_000_000).map(\.pts), [1])
        XCTAssertEqual(r.flush().map(\.pts), [1_000_000_000])
    }
    /// Timestamps from outside at the extremes of Int64: a jump from -2^62 to 2^62 wrapped the gap negative and
    /// filled 2^63 slots (a hang); a flush at Int64.max trapped. Now: one frame per input, no trap.
    func testExtremeTimestampsNeitherTrapNorHang() {
        let out = run([-(1 << 62), 1 << 62, .max, .max], tb: Rational(1, 25), rate: Rational(25, 1))
        XCTAssertLessThanOrEqual(out.count, 4 + 2)
        XCTAssertEqual(out.last?.1, .max)
        let backwards = run([.max, .min, 0], tb: Rational(1, 25), rate: Rational(25, 1))
        XCTAssertLessThanOrEqual(backwards.count, 3)
    }
}

extension FrameRateResamplerTests {
    /// Items that carry their own time (frames) come out re-stamped: output pts and the output time base.
    func testTimestampedItemsAreRestamped() {
        var r = FrameRateResampler<VideoFrame>(inputTimeBase: Rational(1, 30), outputRate: Rational(10, 1))
        func frame(_ i: Int) -> VideoFrame {
            VideoFrame(width: 1, height: 1, pixels: [UInt8(i), 0, 0], pts: Int64(i), timeBase: Rational(1, 30), index: i)
        }
        var out: [VideoFrame] = []
        for i in 0..<9 { out += r.push(frame(i)) }
        out += r.flushItems()
        XCTAssertEqual(out.map(\.pts), [0, 1, 2, 3])
        XCTAssertEqual(out.map { Int($0.pixels[0]) }, [1, 4, 7, 8])          // as testDownsampleDropsLaterWins
        XCTAssertEqual(Set(out.map(\.timeBase)), [Rational(1, 10)])
    }
}
