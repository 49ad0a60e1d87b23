// `vtok encode` on each kind of input: files, containers over a pipe, and a live source whose tokens must
// come out while it is still producing.
import Foundation
import Glibc
import XCTest
import VtokStream

final class EncodeInputTests: CLITestCase {
    func testFilesOfEachContainerGiveEveryFrameWithItsTimestamp() throws {
        let clips = [try clip("in.mp4", frames: 9),                     // H.264 with B-frames: pts != dts
                     try clip("in.mkv", frames: 9, codec: "ffv1")]
        for clip in clips {
            let r = try vtok(["encode", clip, "--model", CLI.tinyModel, "--size", "48x32", "-o", path("out.vtok")])
            assertSuccess(r)
            XCTAssertTrue(r.stdout.isEmpty, "-o FILE leaves stdout alone")
            let s = ParsedStream(try readBytes(path("out.vtok")))
            s.assertWellFormed()
            XCTAssertEqual(s.frameCounts, [1, 4, 4], clip)
            XCTAssertEqual(s.end?.reason, .endOfInput)
            guard let h = s.headers.first else { return XCTFail("no header") }
            XCTAssertEqual(h.modelName, "vtok-tiny-test")
            XCTAssertEqual([h.latentWidth, h.latentHeight, h.temporalFactor, h.spatialFactor], [6, 4, 4, 8])
            XCTAssertEqual(h.sourceSize, .init(width: 48, height: 32))
            XCTAssertEqual(h.frameRate, .init(25, 1))
            assertTimesEqual(seconds(s.pts, h), try probeTimes(clip), clip)
        }
    }

    func testContainersOverAPipe() throws {
        // `ffmpeg ... -f FORMAT - | vtok encode -`: nothing seekable, the format found by probing (or forced).
        for (format, forced) in [("nut", false), ("matroska", false), ("mpegts", false), ("yuv4mpegpipe", false),
                                 ("mpegts", true)] {
            let producer = Self.testsrc(frames: 10, codec: format == "yuv4mpegpipe" ? nil : "mpeg4", format: format)
            let (ff, r) = try pipeline(
                (CLI.ffmpeg, ["-hide_banner", "-loglevel", "error", "-nostdin"] + producer + ["-"]),
                (vtok, ["encode", "-", "--model", CLI.tinyModel, "--size", "48x32"] + (forced ? ["-f", format] : [])))
            XCTAssertEqual(ff.status, 0, ff.summary)
            assertSuccess(r)
            let s = ParsedStream(r.stdout)
            s.assertWellFormed()
            XCTAssertEqual(s.frameCounts, [1, 4, 4, 1], format)
            XCTAssertEqual(s.end?.framesIn, 10, format)
            guard let h = s.headers.first else { return XCTFail("no header: \(format)") }
            let t = seconds(s.pts, h)
            for (a, b) in zip(t, t.dropFirst()) { XCTAssertEqual(b - a, 0.04, accuracy: 1e-3, "\(format): \(t)") }
        }
    }

    /// A 3 s source paced in real time (`ffmpeg -re`): the first latent frame must come out within ~1.5 s, while
    /// the producer is still running, and the rest must trickle out with the source instead of at its end.
    func testLiveSourceTokensFlowAsFramesArrive() throws {
        let ff = Process(), enc = Process()
        ff.executableURL = URL(fileURLWithPath: CLI.ffmpeg)
        ff.arguments = ["-hide_banner", "-loglevel", "error", "-nostdin", "-re"]
            + Self.testsrc(frames: 75, codec: "mpeg4", format: "nut") + ["-"]
        enc.executableURL = URL(fileURLWithPath: vtok)
        enc.arguments = ["encode", "-", "--model", CLI.tinyModel, "--size", "48x32"]
        let media = Pipe(), tokens = Pipe()
        ff.standardInput = FileHandle.nullDevice
        ff.standardOutput = media
        ff.standardError = FileHandle.nullDevice
        enc.standardInput = media
        enc.standardOutput = tokens
        let errPath = path("live.err")
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let err = FileHandle(forWritingAtPath: errPath)!
        enc.standardError = err

        let start = Date()
        try ff.run()
        try enc.run()
        try? media.fileHandleForReading.close()
        try? media.fileHandleForWriting.close()
        try? tokens.fileHandleForWriting.close()

        var reader = StreamReader()
        var arrivals: [Double] = []                    // seconds after start, one per TOKENS packet
        var producerRunningAtFirst = false
        var end: EndInfo?
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let fd = tokens.fileHandleForReading.fileDescriptor
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let now = Date().timeIntervalSince(start)
            bytes += buffer[0..<n]
            reader.feed(buffer[0..<n])
            while let e = try reader.next() {
                switch e {
                case .tokens:
                    if arrivals.isEmpty { producerRunningAtFirst = ff.isRunning }
                    arrivals.append(now)
                case .end(let info): end = info
                default: break
                }
            }
            if Date().timeIntervalSince(start) > 60 { break }
        }
        XCTAssertTrue(waitForExit(ff, timeout: 10))
        XCTAssertTrue(waitForExit(enc, timeout: 10))
        try err.close()
        let stderr = String(decoding: try readBytes(errPath), as: UTF8.self)
        XCTAssertEqual(enc.terminationReason, .exit)
        XCTAssertEqual(enc.terminationStatus, 0, stderr)
        XCTAssertEqual(stderr, "")
        XCTAssertNil(reader.finish())

        XCTAssertEqual(end?.framesIn, 75)
        XCTAssertEqual(arrivals.count, causalGroups(75).count)
        guard let first = arrivals.first, let last = arrivals.last else { return XCTFail("no tokens") }
        XCTAssertLessThan(first, 1.5, "first latent frame after \(first) s: \(arrivals)")
        XCTAssertTrue(producerRunningAtFirst, "the first tokens came only after the producer had finished")
        // Paced at 25 fps, the 3 s source spreads its 20 latent frames over ~3 s; a batch at the end would not.
        XCTAssertGreaterThan(last - first, 1.5, "tokens arrived in a burst: \(arrivals)")
        let firstHalf = arrivals.filter { $0 < first + (last - first) / 2 }.count
        XCTAssertGreaterThan(firstHalf, 3, "tokens arrived in a burst: \(arrivals)")
        ParsedStream(bytes).assertWellFormed()
    }
}
