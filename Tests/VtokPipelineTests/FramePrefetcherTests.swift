// Files are read ahead on their own thread (FramePrefetcher); descriptors on the calling thread. Both routes give
// the same bytes for the same input: frames, a size change (two segments), a frame limit, damage at the end.
import Foundation
import XCTest
import VtokMedia
import VtokStream
@testable import VtokPipeline

final class FramePrefetcherTests: XCTestCase {
    private func encode(_ input: MediaInput, _ configure: (inout EncodeOptions) -> Void) throws -> ([UInt8], EncodeSummary) {
        var options = EncodeOptions(model: try PipelineFixtures.tinyModel())
        configure(&options)
        let p = try EncodePipeline(input: input, options: options)
        p.streamID = [UInt8](repeating: 9, count: 16)
        var out: [UInt8] = []
        let summary = p.run(emit: { out += $0 })
        return (out, summary)
    }

    /// The same file through a path (prefetched) and through an open descriptor (read on this thread).
    private func bothRoutes(_ path: String, _ configure: (inout EncodeOptions) -> Void = { _ in }) throws {
        let (a, sa) = try encode(.path(path), configure)
        let fd = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let (b, sb) = try encode(.fileDescriptor(fd), configure)
        XCTAssertEqual(a, b, path)
        XCTAssertEqual(sa.framesIn, sb.framesIn)
        XCTAssertEqual(sa.segments, sb.segments)
        XCTAssertEqual(sa.reason, sb.reason)
        XCTAssertGreaterThan(a.count, 0)
    }

    func testFileAndDescriptorRoutesAgree() throws {
        let clip = try PipelineFixtures.testsrc("pf.nut", size: "64x48", frames: 23, extra: ["-c:v", "ffv1"])
        try bothRoutes(clip) { $0.media.size = .exact(FrameSize(width: 48, height: 32)) }
        try bothRoutes(clip) { $0.media.size = .exact(FrameSize(width: 48, height: 32)); $0.limits.maxFrames = 7 }
    }

    func testSizeChangeAndTruncationAgree() throws {
        let a = try PipelineFixtures.testsrc("pf1.ts", size: "64x48", frames: 9, extra: ["-c:v", "mpeg4", "-f", "mpegts"])
        let b = try PipelineFixtures.testsrc("pf2.ts", size: "96x64", frames: 9, extra: ["-c:v", "mpeg4", "-f", "mpegts",
                                                                                      "-output_ts_offset", "0.4"])
        let joined = PipelineFixtures.directory.appendingPathComponent("pf-joined.ts")
        let data = try Data(contentsOf: URL(fileURLWithPath: a)) + Data(contentsOf: URL(fileURLWithPath: b))
        try data.write(to: joined)
        try bothRoutes(joined.path) { $0.media.size = .shortSide(32) }
        let cut = PipelineFixtures.directory.appendingPathComponent("pf-cut.ts")
        try data.prefix(data.count * 2 / 3).write(to: cut)
        try bothRoutes(cut.path) { $0.media.size = .shortSide(32) }
    }
}
