import XCTest
import VtokEngine
import VtokMedia
import VtokStream
@testable import VtokPipeline

final class EncodePipelineTests: XCTestCase {
    /// Encodes `path` with the tiny model and returns the stream bytes and the summary.
    func encode(_ path: String, _ configure: (inout EncodeOptions) -> Void = { _ in }) throws -> ([UInt8], EncodeSummary) {
        var options = EncodeOptions(model: try PipelineFixtures.tinyModel())
        options.media.size = .exact(FrameSize(width: 48, height: 32))
        configure(&options)
        let p = try EncodePipeline(input: .path(path), options: options)
        p.streamID = [UInt8](repeating: 7, count: 16)
        var out: [UInt8] = []
        let summary = p.run(emit: { out += $0 })
        return (out, summary)
    }

    func events(_ bytes: [UInt8]) throws -> [StreamEvent] {
        var r = StreamReader()
        r.feed(bytes)
        var out: [StreamEvent] = []
        while let e = try r.next() { out.append(e) }
        XCTAssertNil(r.finish())
        return out
    }

    func tokenFrames(_ events: [StreamEvent]) -> [TokenFrame] {
        events.compactMap { if case .tokens(let t) = $0 { return t } else { return nil } }
    }

    func testStreamMatchesEngineAndCountsFrames() throws {
        let clip = try PipelineFixtures.testsrc("a.nut", size: "96x64", frames: 11, extra: ["-c:v", "ffv1"])
        let (bytes, summary) = try encode(clip)
        XCTAssertNil(summary.failure)
        XCTAssertEqual(summary.reason, .endOfInput)
        XCTAssertEqual(summary.framesIn, 11)
        XCTAssertEqual(summary.latentsOut, 4)                    // 1 + ceil(10 / 4)
        let evs = try events(bytes)
        guard case .header(let h) = evs.first else { return XCTFail("no header first") }
        XCTAssertEqual(h.latentWidth, 6)
        XCTAssertEqual(h.latentHeight, 4)
        XCTAssertEqual(h.modelName, "vtok-tiny-test")
        let frames = tokenFrames(evs)
        XCTAssertEqual(frames.map(\.pts.count), [1, 4, 4, 2])
        // 25 fps: one frame is time_base.den / (25 * time_base.num) ticks.
        let step = Int64(h.timeBase.den / (25 * h.timeBase.num))
        XCTAssertEqual(frames.flatMap(\.pts), Array(0..<11).map { Int64($0) * step })
        guard case .end(let end) = evs.last else { return XCTFail("no END last") }
        XCTAssertEqual(end.framesIn, 11)
        XCTAssertEqual(end.reason, .endOfInput)

        // The same frames straight through the engine give the same tokens.
        let reader = try MediaReader(path: clip, options: MediaReaderOptions(size: .exact(FrameSize(width: 48, height: 32))))
        let session = try EncoderSession(model: try PipelineFixtures.tinyModel(), width: 48, height: 32)
        var direct: [[UInt16]] = []
        while let f = try reader.nextFrame() { direct += try session.push(frame: f.pixels).map(\.tokens) }
        direct += session.finish().map(\.tokens)
        XCTAssertEqual(frames.map(\.tokens), direct)
    }

    func testSameInputGivesIdenticalBytes() throws {
        let clip = try PipelineFixtures.testsrc("b.mkv", size: "64x48", frames: 9, extra: ["-c:v", "ffv1"])
        let (a, _) = try encode(clip)
        let (b, _) = try encode(clip)
        XCTAssertEqual(a, b)
    }

    func testFrameLimitEndsCleanly() throws {
        let clip = try PipelineFixtures.testsrc("c.nut", size: "64x48", frames: 20, extra: ["-c:v", "ffv1"])
        let (bytes, summary) = try encode(clip) { $0.limits.maxFrames = 6 }
        XCTAssertEqual(summary.reason, .limitExceeded)
        XCTAssertNil(summary.failure)
        XCTAssertEqual(summary.framesIn, 6)
        let evs = try events(bytes)
        XCTAssertEqual(tokenFrames(evs).map(\.pts.count), [1, 4, 1])
        guard case .end(let end) = evs.last else { return XCTFail("no END") }
        XCTAssertEqual(end.reason, .limitExceeded)
    }

    func testGarbageInputFailsAtOpen() throws {
        let path = PipelineFixtures.directory.appendingPathComponent("garbage.bin").path
        var g = SystemRandomNumberGenerator()
        try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &g) }).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try encode(path)) { error in
            guard case PipelineError.media = error else { return XCTFail("\(error)") }
        }
    }

    func testSizeChangeStartsNewSegment() throws {
        let a = try PipelineFixtures.testsrc("s1.nut", size: "64x48", frames: 5, extra: ["-c:v", "mpeg4"])
        let b = try PipelineFixtures.testsrc("s2.nut", size: "96x64", frames: 5, extra: ["-c:v", "mpeg4"])
        let joined = PipelineFixtures.directory.appendingPathComponent("joined.nut").path
        let data = try Data(contentsOf: URL(fileURLWithPath: a)) + Data(contentsOf: URL(fileURLWithPath: b))
        try data.write(to: URL(fileURLWithPath: joined))
        // Default size policy: the model size follows the source, so the second part has a new header.
        let (bytes, summary) = try encode(joined) { $0.media.size = .shortSide(32) }
        let evs = try events(bytes)
        let headers = evs.compactMap { if case .header(let h) = $0 { return h } else { return nil } }
        if summary.segments == 2 {
            XCTAssertEqual(headers.map(\.segment), [0, 1])
            XCTAssertNotEqual(headers[0].modelSize, headers[1].modelSize)
            XCTAssertEqual(tokenFrames(evs).map(\.latentIndex), [0, 1, 0, 1])
        } else {
            // A demuxer that stops at the first stream's end is acceptable, but the stream must still end cleanly.
            XCTAssertEqual(summary.segments, 1)
        }
        guard case .end = evs.last else { return XCTFail("no END") }
        let (failBytes, failSummary) = try encode(joined) { $0.media.size = .shortSide(32); $0.onSizeChange = .fail }
        if summary.segments == 2 {
            XCTAssertEqual(failSummary.reason, .sourceChanged)
            guard case .end(let e) = try events(failBytes).last else { return XCTFail("no END") }
            XCTAssertEqual(e.reason, .sourceChanged)
        }
    }

    func testOutputFailureStopsRun() throws {
        let clip = try PipelineFixtures.testsrc("d.nut", size: "64x48", frames: 9, extra: ["-c:v", "ffv1"])
        var options = EncodeOptions(model: try PipelineFixtures.tinyModel())
        options.media.size = .exact(FrameSize(width: 48, height: 32))
        let p = try EncodePipeline(input: .path(clip), options: options)
        struct Gone: Error {}
        var calls = 0
        let summary = p.run(emit: { _ in calls += 1; if calls > 2 { throw Gone() } })
        guard case .output = summary.failure else { return XCTFail("\(String(describing: summary.failure))") }
        XCTAssertEqual(calls, 3)
    }
}
