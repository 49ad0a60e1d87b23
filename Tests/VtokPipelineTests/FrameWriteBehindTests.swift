// The decode's writer thread (FrameWriteBehind): a frame the writer refuses ends the decode with the same error,
// counts and summary as a synchronous write would have, whatever the engine did meanwhile; a full disk is an
// output failure, never a hang; every frame queued before the end is written.
import XCTest
import VtokEngine
import VtokMedia
import VtokStream
@testable import VtokPipeline

final class FrameWriteBehindTests: XCTestCase {
    /// The packets of a 13-frame clip encoded at 48x32: HEADER, TOKENS x4 (1, 4, 4, 4 frames), END.
    private func packets(_ name: String) throws -> [[UInt8]] {
        let clip = try PipelineFixtures.testsrc(name, size: "64x48", frames: 13, extra: ["-c:v", "ffv1"])
        var options = EncodeOptions(model: try PipelineFixtures.tinyModel())
        options.media.size = .exact(FrameSize(width: 48, height: 32))
        var packets: [[UInt8]] = []
        _ = try EncodePipeline(input: .path(clip), options: options).run(emit: { packets.append($0) })
        XCTAssertEqual(packets.count, 6)
        return packets
    }

    private func decode(_ bytes: [UInt8], to out: MediaOutput, options: MediaWriterOptions = MediaWriterOptions(),
                        size: DecodeSize = .model) throws -> DecodeSummary {
        var offset = 0
        let pipeline = DecodePipeline(model: try PipelineFixtures.tinyModel(), output: out, writerOptions: options)
        pipeline.outputSize = size
        return pipeline.run(read: { buf in
            let n = min(buf.count, bytes.count - offset)
            for i in 0..<n { buf[i] = bytes[offset + i] }
            offset += n
            return n
        })
    }

    /// One picture (.png) takes frame 0; frame 1 (latent 1) is refused on the writer thread. The summary is the
    /// one a synchronous write gave: 2 latents in, 1 frame out, and none of the damage that follows in the stream.
    func testRefusedFrameReportsTheSummaryAtThatFrame() throws {
        var p = try packets("wb-refuse.nut")
        p[4][p[4].count / 2] ^= 0x55                             // damage after the refused frame
        let out = PipelineFixtures.directory.appendingPathComponent("wb-one-\(UUID().uuidString).png").path
        let summary = try decode(p.flatMap { $0 }, to: .path(out))
        guard case .media(let e)? = summary.failure else { return XCTFail("\(String(describing: summary.failure))") }
        XCTAssertTrue("\(e)".contains("one picture"), "\(e)")
        XCTAssertEqual(summary.latentsIn, 2)
        XCTAssertEqual(summary.framesOut, 1)
        XCTAssertEqual(summary.corruptBytes, 0, "damage after the failure is not the decode's")
        XCTAssertNil(summary.end)
        XCTAssertFalse(summary.truncated)
        XCTAssertEqual(try PipelineFixtures.probeTimes(out).count, 1, "the picture written before the failure stays")
    }

    /// A full disk fails on the writer thread (or at the trailer): an output failure (exit 2), no hang.
    func testFullDiskIsAnOutputFailure() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let bytes = try packets("wb-full.nut").flatMap { $0 }
        // rawvideo at 640x480: 460 KB per frame, far over AVIO's buffer, so the first frames already fail.
        let summary = try decode(bytes, to: .path("/dev/full"), options: MediaWriterOptions(format: "nut", codec: "rawvideo"),
                                 size: .exact(FrameSize(width: 640, height: 480)))
        switch summary.failure {
        case .media?, .output?: break
        default: XCTFail("\(String(describing: summary.failure))")
        }
        XCTAssertLessThan(summary.framesOut, 13)
        XCTAssertFalse(summary.isClean)
    }

    /// Every frame queued is written before the trailer, in order, with its pts, also when the decode then stops
    /// on its own thread (the last latent's timestamps go backwards).
    func testFramesQueuedBeforeADecodeFailureAreWritten() throws {
        var p = try packets("wb-back.nut")
        let parsed = try ParsedPackets(p.flatMap { $0 })
        guard let header = parsed.header, parsed.tokens.count == 4 else { return XCTFail("no header or tokens") }
        var w = try StreamWriter(header: header)
        _ = w.begin()
        for t in parsed.tokens.dropLast() { _ = try w.tokensPacket(pts: t.pts, tokens: t.tokens) }
        p[4] = try w.tokensPacket(pts: parsed.tokens[2].pts, tokens: parsed.tokens[3].tokens)   // pts repeated
        let out = PipelineFixtures.directory.appendingPathComponent("wb-back-\(UUID().uuidString).nut").path
        let summary = try decode(p.flatMap { $0 }, to: .path(out), options: MediaWriterOptions(codec: "rawvideo"))
        guard case .timestampsNotIncreasing? = summary.failure else { return XCTFail("\(String(describing: summary.failure))") }
        XCTAssertEqual(summary.framesOut, 9)
        let times = try PipelineFixtures.probeTimes(out)
        XCTAssertEqual(times.count, 9)
        XCTAssertEqual(times, times.sorted())
        XCTAssertEqual(times.count, Set(times).count)
    }
}

/// The header and TOKENS packets of a stream, read back with StreamReader.
private struct ParsedPackets {
    var header: StreamHeader?
    var tokens: [TokenFrame] = []

    init(_ bytes: [UInt8]) throws {
        var reader = StreamReader()
        reader.feed(bytes[...])
        reader.endInput()
        while let event = try reader.next() {
            switch event {
            case .header(let h): if header == nil { header = h }
            case .tokens(let t): tokens.append(t)
            default: break
            }
        }
    }
}
