// `vtok encode` then `vtok decode`: exactly the frames that went in, at exactly their timestamps, in every
// output container, and through pipes.
import Foundation
import XCTest
import VtokTestSupport
import VtokStream

final class RoundTripTests: CLITestCase {
    /// Encodes `clip` with the tiny model at 48x32 into a .vtok file.
    func tokens(_ clip: String) throws -> String {
        let out = path(URL(fileURLWithPath: clip).deletingPathExtension().lastPathComponent + ".vtok")
        assertSuccess(try encode(clip, ["-o", out]))
        return out
    }

    func decode(_ stream: String, to ext: String) throws -> String {
        let out = path(URL(fileURLWithPath: stream).deletingPathExtension().lastPathComponent + "-out." + ext)
        assertSuccess(try vtok(["decode", stream, "--model", CLI.tinyModel, "-o", out]))
        return out
    }

    /// 1, 2, 5, 9, 10, 13 frames at 25 fps: every case of the causal grouping (latent 0 alone, full groups,
    /// a partial last group) through mkv, mp4, nut and y4m (whose times testY4MKeepsTheFrameRate checks).
    func testFrameCountsAndTimestampsSurviveEveryContainer() throws {
        for n in [1, 2, 5, 9, 10, 13] {
            let clip = try clip("n\(n).mkv", frames: n, codec: "ffv1")
            let source = try probeTimes(clip)
            XCTAssertEqual(source.count, n)
            let stream = try tokens(clip)
            XCTAssertEqual(ParsedStream(try readBytes(stream)).frameCounts, causalGroups(n))
            for ext in ["mkv", "mp4", "nut", "y4m"] {
                let decoded = try probeTimes(try decode(stream, to: ext))
                if ext == "y4m" {
                    XCTAssertEqual(decoded.count, n, "\(n) frames through .y4m")
                } else {
                    assertTimesEqual(decoded, source, "\(n) frames through .\(ext)")
                }
            }
        }
    }

    /// y4m has a frame rate and no timestamps: frame i must be at i / rate (not 1 / time base).
    func testY4MKeepsTheFrameRate() throws {
        let clip = try clip("cfr.mkv", frames: 5, codec: "ffv1")
        let out = try decode(try tokens(clip), to: "y4m")
        let header = String(decoding: try readBytes(out).prefix(64), as: UTF8.self)
        let decoded = try probeTimes(out)
        XCTAssertEqual(decoded.count, 5)
        XCTAssertTrue(header.contains(" F25:1 "), header)
        assertTimesEqual(decoded, try probeTimes(clip))
    }

    /// Frames at irregular times keep them (y4m cannot carry them, so it is not tried).
    func testVariableFrameRateKeepsItsTimestamps() throws {
        let clip = try ffmpeg("vfr.mkv", ["-f", "lavfi", "-i", "testsrc2=size=48x32:rate=25", "-frames:v", "9",
                                          "-vf", "setpts='N+floor(N/2)'/25/TB", "-fps_mode", "passthrough", "-c:v", "ffv1"])
        let source = try probeTimes(clip)
        XCTAssertEqual(source.count, 9)
        XCTAssertNotEqual(source[2] - source[1], source[1] - source[0], accuracy: 1e-3, "really irregular")
        let stream = try tokens(clip)
        for ext in ["mkv", "mp4", "nut"] {
            assertTimesEqual(try probeTimes(try decode(stream, to: ext)), source, "VFR through .\(ext)")
        }
    }

    /// `vtok decode - -o -` into a pipe: NUT that ffprobe reads from its stdin as it comes; the same bytes
    /// redirected to a file are readable as well.
    func testDecodeToStdoutIsReadableFromAPipe() throws {
        let clip = try clip("pipe.mkv", frames: 13, codec: "ffv1")
        let source = try probeTimes(clip)
        let stream = try tokens(clip)
        let (dec, probe) = try pipeline(
            (vtok, ["decode", "-", "-o", "-", "--model", CLI.tinyModel]),
            (CLI.ffprobe, ["-v", "error", "-show_entries", "frame=pts_time:format=format_name", "-of", "csv=p=0", "-"]),
            producerStdin: stream)
        assertSuccess(dec)
        XCTAssertEqual(probe.status, 0, probe.summary)
        let lines = probe.stdoutText.split(separator: "\n")
        XCTAssertEqual(lines.last, "nut", probe.stdoutText)
        assertTimesEqual(Self.parseTimes(lines.dropLast().joined(separator: "\n")), source, "decode - -o - | ffprobe -")

        let toFile = try vtok(["decode", "-o", "-", "--model", CLI.tinyModel], stdin: .file(stream))
        assertSuccess(toFile)
        assertTimesEqual(try probeTimes(stdin: toFile.stdout), source, "decode -o - > file")
    }

    /// `vtok encode clip | vtok decode - -o out.mkv`: the two ends of the pipe agree.
    func testEncodePipedIntoDecode() throws {
        let clip = try clip("chain.mp4", frames: 10)
        let out = path("chain-out.mkv")
        let (enc, dec) = try pipeline((vtok, ["encode", clip, "--model", CLI.tinyModel, "--size", "48x32"]),
                                      (vtok, ["decode", "-", "--model", CLI.tinyModel, "-o", out]))
        assertSuccess(enc)
        assertSuccess(dec)
        assertTimesEqual(try probeTimes(out), try probeTimes(clip))
    }
}
