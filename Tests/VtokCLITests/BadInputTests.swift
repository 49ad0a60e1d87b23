// `vtok encode` on inputs that are not what they should be. Each must give one clear `vtok:` line on stderr,
// the documented exit status (`vtok encode --help`), no crash, and a token stream that parses up to an END
// packet saying why (or no stream at all when the input could not even be opened).
import Foundation
import XCTest
import VtokTestSupport
import VtokStream

final class BadInputTests: CLITestCase {
    /// The stream a failed run wrote: nothing (the input never opened) or a complete stream whose END gives
    /// `reason`, with valid tokens before it.
    @discardableResult
    func assertStream(_ bytes: [UInt8], endsWith reason: EndReason, allowEmpty: Bool = false,
                      file: StaticString = #filePath, line: UInt = #line) -> ParsedStream {
        let s = ParsedStream(bytes)
        if bytes.isEmpty {
            XCTAssertTrue(allowEmpty, "no stream at all", file: file, line: line)
            return s
        }
        s.assertWellFormed(file: file, line: line)
        XCTAssertEqual(s.end?.reason, reason, "END: \(String(describing: s.end))", file: file, line: line)
        return s
    }

    func testInputsThatCannotBeOpened() throws {
        var random = SystemRandomNumberGenerator()
        let garbage = try write((0..<5000).map { _ in UInt8.random(in: 0...255, using: &random) }, to: "random.bin")
        let empty = try write([], to: "empty.mp4")
        let wav = try ffmpeg("sine.wav", ["-f", "lavfi", "-i", "sine=duration=0.5"])
        let m4a = try ffmpeg("sine.m4a", ["-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac"])
        let cases: [(String, String)] = [(garbage, "cannot open"), (empty, "cannot open"),
                                         (path("missing.mp4"), "no such file"),
                                         (wav, "no video stream"), (m4a, "no video stream")]
        for (input, message) in cases {
            let r = try encode(input)
            assertReported(r, status: 1, mentions: message)
            assertStream(r.stdout, endsWith: .inputError, allowEmpty: true)
            // The same through -o: no file is left behind that could pass for a result.
            let o = try encode(input, ["-o", path("out.vtok")])
            XCTAssertEqual(o.status, 1, o.summary)
            if let bytes = try? readBytes(path("out.vtok")) { assertStream(bytes, endsWith: .inputError, allowEmpty: true) }
        }
        // Garbage and silence through a pipe.
        for bytes in [Array(try readBytes(garbage)), []] {
            let r = try encode("-", stdin: .bytes(bytes))
            assertReported(r, status: 1, mentions: "cannot open")
            assertStream(r.stdout, endsWith: .inputError, allowEmpty: true)
        }
    }

    /// Cut in half: everything that still decodes is tokenised, then END; one line says the input was truncated
    /// and the exit status is 1, from a file and through a pipe. An mp4 whose index (moov) comes last cannot be
    /// opened at all once cut.
    func testTruncatedFilesGiveWhatDecodes() throws {
        for (whole, cut) in try truncatedClips() {
            for (input, stdin) in [(cut, ProcessInput.null), ("-", .pipe(cut))] {
                let r = try encode(input, stdin: stdin)
                assertReported(r, status: 1, mentions: "truncated")
                let s = assertStream(r.stdout, endsWith: .endOfInput)
                XCTAssertGreaterThan(s.pts.count, 5, cut)
                XCTAssertLessThan(s.pts.count, 25, cut)
                XCTAssertEqual(s.frameCounts, causalGroups(s.pts.count))
                // The frames that came through are the source's first ones, at the source's times.
                if let h = s.headers.first {
                    assertTimesEqual(seconds(s.pts, h), Array(try probeTimes(whole).prefix(s.pts.count)), cut)
                }
            }
        }
        let moovLast = try readBytes(try clip("moov-last.mp4", frames: 25))
        let r = try encode(try write(Array(moovLast.prefix(moovLast.count / 2)), to: "cut-moov-last.mp4"))
        assertReported(r, status: 1, mentions: "cannot open")
        assertStream(r.stdout, endsWith: .inputError, allowEmpty: true)
    }

    /// 25-frame mp4 (index first) and mkv clips, and their first halves.
    func truncatedClips() throws -> [(whole: String, cut: String)] {
        let mp4 = try clip("whole.mp4", frames: 25, codec: "mpeg4", extra: ["-movflags", "+faststart"])
        let mkv = try clip("whole.mkv", frames: 25, codec: "mpeg4", extra: ["-g", "5"])
        return try [mp4, mkv].map { whole in
            let bytes = try readBytes(whole)
            return (whole, try write(Array(bytes.prefix(bytes.count / 2)), to: "cut-" + URL(fileURLWithPath: whole).lastPathComponent))
        }
    }

    /// 64 bytes flipped in the middle of a clip: the decoder conceals the damage, every frame is tokenised,
    /// vtok says the input was damaged and exits 1.
    func testCorruptBytesInTheMiddle() throws {
        for name in ["mid.nut", "mid.mkv"] {
            var bytes = try readBytes(try clip(name, frames: 30, codec: "mpeg4"))
            let at = bytes.count / 2
            for i in at..<(at + 64) { bytes[i] ^= 0x5A }
            let damaged = try write(bytes, to: "damaged-" + name)
            for (input, stdin) in [(damaged, ProcessInput.null), ("-", .pipe(damaged))] {
                let r = try encode(input, stdin: stdin)
                assertReported(r, status: 1, mentions: "input damaged")
                let s = assertStream(r.stdout, endsWith: .endOfInput)
                XCTAssertEqual(s.pts.count, 30, name)
                XCTAssertEqual(s.frameCounts, causalGroups(30))
            }
        }
    }

    /// Frames the demuxer drops (a damaged matroska cluster of an intra-only codec) are reported through
    /// FFmpeg's own error ("Element ... exceeds containing master element"): one line, exit 1.
    func testFramesLostInTheDemuxerAreReported() throws {
        var bytes = try readBytes(try clip("ffv1.mkv", frames: 30, codec: "ffv1"))
        let at = bytes.count / 2
        for i in at..<(at + 400) { bytes[i] ^= 0x5A }
        let r = try encode(try write(bytes, to: "damaged-ffv1.mkv"))
        XCTAssertFalse(r.signalled)
        let s = assertStream(r.stdout, endsWith: .endOfInput)
        XCTAssertLessThan(s.pts.count, 30)
        XCTAssertEqual(s.frameCounts, causalGroups(s.pts.count))
        assertReported(r, status: 1, mentions: "input damaged")
    }

    /// A video stream with no frame: a y4m header alone can be opened, so the stream is described (HEADER) and
    /// ends at once with END(inputError). Containers that need a frame to be probed fail to open.
    func testZeroFrames() throws {
        let y4m = try write(Array("YUV4MPEG2 W48 H32 F25:1 Ip A1:1 C420jpeg\n".utf8), to: "zero.y4m")
        for (input, stdin) in [(y4m, ProcessInput.null), ("-", .pipe(y4m))] {
            let r = try encode(input, stdin: stdin)
            assertReported(r, status: 1, mentions: "no video frame")
            let s = assertStream(r.stdout, endsWith: .inputError)
            XCTAssertEqual(s.headers.count, 1)
            XCTAssertTrue(s.frames.isEmpty)
            XCTAssertEqual(s.end?.framesIn, 0)
            XCTAssertTrue(s.end?.message.contains("no video frame") ?? false)
        }
        let nut = try clip("zero.nut", frames: 0, codec: "mpeg4")
        let r = try encode(nut)
        assertReported(r, status: 1, mentions: "cannot open")
        assertStream(r.stdout, endsWith: .inputError, allowEmpty: true)
    }

    func testFramesOverMaxPixels() throws {
        // Known at open: refused before anything is written.
        let big = try clip("big.mkv", size: "64x48", frames: 5, codec: "mpeg4")
        let r = try encode(big, ["--max-pixels", "3000"])
        assertReported(r, status: 1, mentions: "exceeds the limit")
        assertStream(r.stdout, endsWith: .inputError, allowEmpty: true)

        // Found mid-stream (the size grows): the frames before are tokenised, then END(inputError).
        let grows = try sizeChangingStream()
        let m = try encode(grows, ["--max-pixels", "2000"])
        assertReported(m, status: 1, mentions: "exceeds the limit")
        let s = assertStream(m.stdout, endsWith: .inputError)
        XCTAssertEqual(s.pts.count, 5)
        XCTAssertEqual(s.frameCounts, [1, 4])
        XCTAssertTrue(s.end?.message.contains("2000") ?? false, "\(String(describing: s.end))")
    }

    /// Two MPEG-TS streams of different sizes back to back (one PID, the decoder meets the new size in band):
    /// by default a new segment starts; `--on-size-change fail` ends the stream with END(sourceChanged), exit 1.
    func testFrameSizeChangeMidStream() throws {
        let joined = try sizeChangingStream()
        for (input, stdin) in [(joined, ProcessInput.null), ("-", .pipe(joined))] {
            let r = try encode(input, stdin: stdin)
            assertSuccess(r)
            let s = ParsedStream(r.stdout)
            s.assertWellFormed()
            XCTAssertEqual(s.headers.map(\.segment), [0, 1])
            XCTAssertEqual(s.headers.map(\.sourceSize), [.init(width: 48, height: 32), .init(width: 64, height: 48)])
            XCTAssertEqual(s.frames.map(\.latentIndex), [0, 1, 0, 1])
            XCTAssertEqual(s.frameCounts, [1, 4, 1, 4])
            XCTAssertEqual(s.end?.reason, .endOfInput)

            let f = try encode(input, ["--on-size-change", "fail"], stdin: stdin)
            assertReported(f, status: 1, mentions: "frame size changed")
            let fs = assertStream(f.stdout, endsWith: .sourceChanged)
            XCTAssertEqual(fs.headers.count, 1)
            XCTAssertEqual(fs.frameCounts, [1, 4])
        }
        // Without --size the model size follows the source: the segments differ in grid as well.
        let r = try vtok(["encode", joined, "--model", CLI.tinyModel])
        assertSuccess(r)
        let s = ParsedStream(r.stdout)
        s.assertWellFormed()
        XCTAssertEqual(s.headers.count, 2)
        if s.headers.count == 2 { XCTAssertNotEqual(s.headers[0].modelSize, s.headers[1].modelSize) }
    }

    /// Two NUT files concatenated: FFmpeg's nut demuxer does not follow into the second file (ffprobe agrees),
    /// so this is no size change, but it must still end cleanly with END and without a crash.
    func testConcatenatedNutFilesEndCleanly() throws {
        let a = try readBytes(try clip("a.nut", frames: 5, codec: "mpeg4"))
        let b = try readBytes(try clip("b.nut", size: "64x48", frames: 5, codec: "mpeg4"))
        let joined = try write(a + b, to: "joined.nut")
        for (input, stdin) in [(joined, ProcessInput.null), ("-", .pipe(joined))] {
            let r = try encode(input, stdin: stdin)
            XCTAssertFalse(r.signalled, r.summary)
            XCTAssertTrue(r.status == 0 || r.vtokLines.count == 1, r.summary)
            let s = ParsedStream(r.stdout)
            s.assertWellFormed()
            XCTAssertGreaterThanOrEqual(s.pts.count, 5)
        }
    }

    /// 5 frames at 48x32 then 5 at 64x48 in one MPEG-TS, timestamps continuous.
    func sizeChangingStream() throws -> String {
        let a = try readBytes(try ffmpeg("a.ts", Self.testsrc(frames: 5, codec: "mpeg4", format: "mpegts")))
        let b = try readBytes(try ffmpeg("b.ts", Self.testsrc(size: "64x48", frames: 5, codec: "mpeg4", format: "mpegts")
                                             + ["-output_ts_offset", "0.2"]))
        return try write(a + b, to: "size-change.ts")
    }
}
