// A daemon session reports damage that only FFmpeg's log reveals, as `vtok encode` does: the reader collects
// FFmpeg's lines (VtokMedia), the pipeline's summary carries them, the session logs "input damaged: ...".
import Foundation
import XCTest
import VtokTestSupport
@testable import VtokServer
import VtokEngine
import VtokMedia
import VtokPipeline
import VtokStream

final class DamageReportTests: XCTestCase {
    private func options() throws -> EncodeOptions { try tinyPipelineOptions() }

    /// A matroska clip of an intra-only codec (ffv1) with 400 bytes flipped in the middle: the demuxer drops the
    /// damaged frames and says so only in its log; the decoder sees nothing wrong.
    private func damagedClip() throws -> [UInt8] {
        guard TestClips.available else { throw XCTSkip("ffmpeg CLI not installed") }
        let path = temporaryDirectory() + "/ffv1.mkv"
        try TestClips.make(path, TestClips.testsrc(size: "48x32", frames: 30, codec: "ffv1", format: "matroska"))
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let at = bytes.count / 2
        for i in at..<(at + 400) { bytes[i] ^= 0x5A }
        return bytes
    }

    func testSessionLogsDamageOnlyFFmpegSaw() throws {
        let lines = Box<[String]>()
        lines.set([])
        let sink = JournalLogHandler.Sink { line in lines.set((lines.get() ?? []) + [line]) }
        let daemon = try InProcessDaemon(factory: PipelineSourceFactory(options: try options()), log: sink)
        defer { daemon.stop() }
        let client = try TestClient(path: daemon.socketPath)
        let (events, complete) = decode(client.exchange(try damagedClip()))
        XCTAssertTrue(complete)
        let end = try XCTUnwrap(endInfo(events))
        XCTAssertEqual(end.reason, .endOfInput, "the stream itself ends cleanly")
        XCTAssertGreaterThan(end.framesIn, 0)
        XCTAssertLessThan(end.framesIn, 30, "the demuxer dropped frames")
        // The session's log line comes after END is sent: wait for it.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !(lines.get() ?? []).contains(where: { $0.contains("input damaged") }) { usleep(20_000) }
        let said = (lines.get() ?? []).filter { $0.contains("input damaged") }
        XCTAssertEqual(said.count, 1, "\(lines.get() ?? [])")
        XCTAssertTrue(said.first?.contains("FFmpeg: ") ?? false, "\(said)")
    }

    /// An intact clip through the same daemon: no damage line.
    func testIntactInputLogsNoDamage() throws {
        guard TestClips.available else { throw XCTSkip("ffmpeg CLI not installed") }
        let path = temporaryDirectory() + "/intact.mkv"
        try TestClips.make(path, TestClips.testsrc(size: "96x64", frames: 9, codec: "ffv1", format: "matroska"))
        let lines = Box<[String]>()
        lines.set([])
        let sink = JournalLogHandler.Sink { line in lines.set((lines.get() ?? []) + [line]) }
        let daemon = try InProcessDaemon(factory: PipelineSourceFactory(options: try options()), log: sink)
        let client = try TestClient(path: daemon.socketPath)
        let (events, complete) = decode(client.exchange(Array(try Data(contentsOf: URL(fileURLWithPath: path)))))
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.framesIn, 9)
        daemon.stop()                                    // after the session has logged its end
        XCTAssertFalse((lines.get() ?? []).contains { $0.contains("input damaged") }, "\(lines.get() ?? [])")
    }

    /// The live source (`vtok serve --source`) reports damage too, once, when it ends.
    func testLiveSourceLogsDamage() throws {
        let path = temporaryDirectory() + "/live-damaged.mkv"
        try Data(try damagedClip()).write(to: URL(fileURLWithPath: path))
        let lines = Box<[String]>()
        lines.set([])
        let sink = JournalLogHandler.Sink { line in lines.set((lines.get() ?? []) + [line]) }
        let daemon = try InProcessDaemon(configure: { $0.liveSource = path },
                                         factory: PipelineSourceFactory(options: try options()), log: sink)
        defer { daemon.stop() }
        let deadline = Date().addingTimeInterval(20)
        // Logged when the source ends (the test's log level keeps warnings only).
        while Date() < deadline, !(lines.get() ?? []).contains(where: { $0.contains("live source input damaged") }) { usleep(20_000) }
        usleep(200_000)
        let said = (lines.get() ?? []).filter { $0.contains("live source input damaged") }
        XCTAssertEqual(said.count, 1, "\(lines.get() ?? [])")
        XCTAssertTrue(said.first?.contains("FFmpeg: ") ?? false, "\(said)")
    }
}
