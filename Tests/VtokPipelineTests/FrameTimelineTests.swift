// Timestamps ride with frames into the pipeline; each latent gets the pts of exactly the frames it covers.
import XCTest
import VtokEngine
import VtokMedia
import VtokStream
@testable import VtokPipeline

final class FrameTimelineTests: XCTestCase {
    private func frame(_ pts: Int64) -> VideoFrame {
        VideoFrame(width: 1, height: 1, pixels: [0, 0, 0], pts: pts, timeBase: Rational(1, 90000), index: 0)
    }

    func testEachLatentGetsItsOwnFrames() {
        var t = FrameTimeline()
        for p in [0, 3000, 6000, 9000, 12000, 15000, 18000] as [Int64] { t.append(frame(p)) }
        XCTAssertEqual(t.take(first: 0, count: 1), [0])
        XCTAssertEqual(t.take(first: 1, count: 4), [3000, 6000, 9000, 12000])
        XCTAssertEqual(t.take(first: 5, count: 2), [15000, 18000])              // a final partial group
        XCTAssertEqual(t.take(first: 7, count: 4), [], "nothing is made up")
        t.reset()                                                          // a new segment counts from 0 again
        t.append(frame(21000))
        XCTAssertEqual(t.take(first: 0, count: 1), [21000])
    }

    /// The engine's numbering decides, not the order of calls: a latent that skips frames does not get theirs.
    func testFramesALatentDoesNotCoverAreNotHandedOn() {
        var t = FrameTimeline()
        for p in 0..<6 { t.append(frame(Int64(p))) }
        XCTAssertEqual(t.take(first: 1, count: 4), [1, 2, 3, 4])
        XCTAssertEqual(t.take(first: 5, count: 1), [5])
    }

    /// The pipeline's packets carry the source's pts for every frame, also across a resampled rate.
    func testPacketsCarryTheFramesPTSWhenResampling() throws {
        let clip = try PipelineFixtures.testsrc("t.nut", size: "96x64", frames: 20, extra: ["-c:v", "ffv1"])
        var options = EncodeOptions(model: try PipelineFixtures.tinyModel())
        options.media.size = .exact(FrameSize(width: 48, height: 32))
        options.media.frameRate = Rational(10, 1)
        let p = try EncodePipeline(input: .path(clip), options: options)
        var out: [UInt8] = []
        let summary = p.run(emit: { out += $0 })
        XCTAssertNil(summary.failure)
        var r = StreamReader()
        r.feed(out)
        var pts: [Int64] = [], header: StreamHeader?
        while let e = try r.next() {
            if case .tokens(let t) = e { pts += t.pts }
            if case .header(let h) = e { header = h }
        }
        XCTAssertEqual(header?.timeBase.num, 1)
        XCTAssertEqual(header?.timeBase.den, 10)
        XCTAssertEqual(pts, Array(0..<Int64(summary.framesIn)))          // 1/10 s slots, one per frame
        XCTAssertEqual(summary.framesIn, 9)                                // 20 frames at 25 fps: slots 0...8 at 10 fps
    }
}
