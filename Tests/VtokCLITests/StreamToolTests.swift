// `vtok info` and `vtok decode` on token streams that are whole, truncated, corrupt, or resynchronised after
// garbage: what they print, what they write, how they exit.
import Foundation
import XCTest
import VtokStream

final class StreamToolTests: CLITestCase {
    /// A 13-frame clip and its token stream (HEADER, 4 TOKENS covering 1, 4, 4, 4 frames, END).
    func reference() throws -> (clip: String, stream: [UInt8]) {
        let clip = try clip("ref.mkv", frames: 13, codec: "ffv1")
        let r = try encode(clip)
        assertSuccess(r)
        return (clip, r.stdout)
    }

    /// Each packet's type and byte range (docs/token-stream.md §3: 32-byte header, payload, 4-byte CRC).
    func packets(_ bytes: [UInt8]) -> [(type: UInt8, range: Range<Int>)] {
        var out: [(UInt8, Range<Int>)] = []
        var at = 0
        while at + 32 <= bytes.count {
            let length = (0..<4).reduce(0) { $0 | Int(bytes[at + 24 + $1]) << (8 * $1) }
            out.append((bytes[at + 4], at..<(at + 36 + length)))
            at += 36 + length
        }
        return out
    }

    func json(_ r: ProcessResult) throws -> [String: Any] {
        guard let o = try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any] else {
            throw CLITestError("not a JSON object: \(r.stdoutText)")
        }
        return o
    }

    func testInfoOnAWholeStream() throws {
        let (_, stream) = try reference()
        let file = try write(stream, to: "ref.vtok")
        let s = ParsedStream(stream)

        let text = try vtok(["info", file])
        assertSuccess(text)
        XCTAssertTrue(text.stdoutText.contains("vtok-tiny-test"), text.stdoutText)
        XCTAssertTrue(text.stdoutText.contains("4 latent frames for 13 frames"), text.stdoutText)
        XCTAssertTrue(text.stdoutText.contains("endOfInput"), text.stdoutText)

        let r = try vtok(["info", "--json", file])
        assertSuccess(r)
        let o = try json(r)
        XCTAssertEqual(o["segments"] as? Int, 1)
        XCTAssertEqual(o["latent_frames"] as? Int, s.frames.count)
        XCTAssertEqual(o["frames"] as? Int, 13)
        XCTAssertEqual(o["tokens"] as? Int, s.frames.count * 24)
        XCTAssertEqual(o["truncated"] as? Bool, false)
        XCTAssertEqual(o["corrupt_bytes"] as? Int, 0)
        XCTAssertEqual(o["missing_packets"] as? Int, 0)
        XCTAssertEqual(o["bits_per_token"] as? Int, 16)
        let distinct = Set(s.frames.flatMap(\.tokens)).count
        XCTAssertEqual(o["distinct_codes"] as? Int, distinct)
        XCTAssertEqual(o["utilisation"] as? Double ?? -1, Double(distinct) / 64000, accuracy: 1e-12)
        XCTAssertEqual(o["duration_s"] as? Double ?? -1, 13 * 0.04, accuracy: 1e-9)
        let h = try XCTUnwrap(o["header"] as? [String: Any])
        XCTAssertEqual(h["model"] as? String, "vtok-tiny-test")
        XCTAssertEqual(h["version"] as? String, "1.1")
        XCTAssertEqual(h["levels"] as? [Int], [8, 8, 8, 5, 5, 5])
        XCTAssertEqual(h["vocabulary"] as? Int, 64000)
        XCTAssertEqual(h["temporal_factor"] as? Int, 4)
        XCTAssertEqual(h["spatial_factor"] as? Int, 8)
        XCTAssertEqual(h["latent_grid"] as? [Int], [4, 6])
        XCTAssertEqual(h["source_size"] as? [Int], [48, 32])
        XCTAssertEqual(h["model_size"] as? [Int], [48, 32])
        XCTAssertEqual(h["frame_rate"] as? String, "25/1")
        XCTAssertEqual(h["continuous_latents"] as? Bool, false)
        XCTAssertEqual(h["stream_id"] as? String, s.headers.first?.streamID.map { String(format: "%02x", $0) }.joined())
        XCTAssertEqual((h["weights_sha256"] as? String)?.count, 64)
        let end = try XCTUnwrap(o["end"] as? [String: Any])
        XCTAssertEqual(end["reason"] as? String, "endOfInput")
        XCTAssertEqual(end["frames_in"] as? Int, 13)
        XCTAssertEqual(end["latent_frames_out"] as? Int, 4)

        // '-' and no argument both read stdin, with the same result.
        for args in [["info", "--json", "-"], ["info", "--json"]] {
            let p = try vtok(args, stdin: .file(file))
            assertSuccess(p)
            let q = try json(p)
            XCTAssertEqual(q["frames"] as? Int, 13)
            XCTAssertEqual((q["header"] as? [String: Any])?["stream_id"] as? String, h["stream_id"] as? String)
        }
    }

    func testInfoOnATruncatedStream() throws {
        let (_, stream) = try reference()
        for cut in [stream.count - 30, stream.count / 2, packets(stream).last!.range.lowerBound] {
            let file = try write(Array(stream.prefix(cut)), to: "cut.vtok")
            let text = try vtok(["info", file])
            XCTAssertFalse(text.signalled)
            XCTAssertEqual(text.status, 1, text.summary)
            XCTAssertTrue(text.stdoutText.contains("truncated"), text.stdoutText)
            let r = try vtok(["info", "--json", file])
            XCTAssertEqual(r.status, 1, r.summary)
            let o = try json(r)
            XCTAssertEqual(o["truncated"] as? Bool, true)
            XCTAssertNil(o["end"])
            XCTAssertEqual(o["latent_frames"] as? Int, ParsedStream(Array(stream.prefix(cut))).frames.count)
        }
    }

    func testInfoOnADamagedStream() throws {
        let (_, stream) = try reference()
        var damaged = stream
        let third = packets(stream).filter { $0.type == 2 }[2].range      // the third TOKENS packet
        damaged[third.lowerBound + 60] ^= 0x10
        let file = try write(damaged, to: "damaged.vtok")
        let r = try vtok(["info", "--json", file])
        XCTAssertFalse(r.signalled)
        XCTAssertEqual(r.status, 1, r.summary)
        let o = try json(r)
        XCTAssertEqual(o["corrupt_bytes"] as? Int, third.count)
        XCTAssertEqual(o["missing_packets"] as? Int, 1)
        XCTAssertEqual(o["latent_frames"] as? Int, 3)
        XCTAssertEqual(o["frames"] as? Int, 9)
        XCTAssertEqual(o["truncated"] as? Bool, false)
        XCTAssertEqual((o["end"] as? [String: Any])?["frames_in"] as? Int, 13)   // END says what was sent
        let text = try vtok(["info", file])
        XCTAssertEqual(text.status, 1)
        XCTAssertTrue(text.stdoutText.contains("\(third.count) corrupt bytes skipped, 1 packets missing"), text.stdoutText)
    }

    func testInfoOnSomethingElse() throws {
        let media = try clip("not-tokens.mkv", frames: 3, codec: "ffv1")
        for (file, message) in [(media, "not a vtok token stream"), (try write([], to: "empty.vtok"), "not a vtok token stream"),
                                (path("missing.vtok"), "cannot open")] {
            let r = try vtok(["info", file])
            assertReported(r, status: 1, mentions: message)
            XCTAssertTrue(r.stdout.isEmpty)
        }
    }

    func testInfoPlotWritesAPNG() throws {
        let (_, stream) = try reference()
        let png = path("usage.png")
        let r = try vtok(["info", try write(stream, to: "ref.vtok"), "--plot", png])
        assertSuccess(r)
        let b = try readBytes(png)
        XCTAssertEqual(Array(b.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        func be32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(b[at + $1]) } }
        XCTAssertEqual(be32(8), 13, "IHDR length")
        XCTAssertEqual(String(decoding: b[12..<16], as: UTF8.self), "IHDR")
        XCTAssertEqual([be32(16), be32(20)], [800, 360], "width, height (gnuplot's pngcairo, Plot.swift)")
        XCTAssertEqual(Array(b[26..<29]), [0, 0, 0], "deflate, no filter, no interlace")
        XCTAssertEqual(String(decoding: b[(b.count - 8)..<(b.count - 4)], as: UTF8.self), "IEND")
        // And a real decoder accepts every byte of it (chunk CRCs, zlib stream).
        let probe = try run(CLI.ffprobe, ["-v", "error", "-show_entries", "frame=width,height", "-of", "csv=p=0", png])
        XCTAssertEqual(probe.status, 0, probe.summary)
        XCTAssertEqual(probe.stderr, "")
        XCTAssertEqual(probe.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "800,360")
    }

    /// One TOKENS packet damaged: the other latent frames still become a valid video, and vtok says what was lost.
    func testDecodeOfACorruptStreamWritesAValidVideo() throws {
        let (clip, stream) = try reference()
        var damaged = stream
        let third = packets(stream).filter { $0.type == 2 }[2].range      // frames 5...8
        damaged[third.lowerBound + third.count / 2] ^= 0x55
        let out = path("out.mkv")
        let r = try vtok(["decode", try write(damaged, to: "damaged.vtok"), "--model", CLI.tinyModel, "-o", out])
        // END counts 13 frames and 4 did not arrive: exit 1, in the one line that names the damage (issue 14).
        assertReported(r, status: 1, mentions: "4 of 13 frames")
        XCTAssertTrue(r.vtokLines.first?.contains("1 packets missing") ?? false, r.summary)
        let source = try probeTimes(clip)
        assertTimesEqual(try probeTimes(out), Array(source[0..<5] + source[9..<13]), "decoded around the hole")
    }

    /// Garbage before the stream and between two packets: the reader resynchronises, nothing is lost.
    func testDecodeResynchronisesAfterGarbage() throws {
        let (clip, stream) = try reference()
        let ps = packets(stream)
        let garbage = (0..<300).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) & 0x7F }      // never a sync byte (0x8A)
        let cut = ps[2].range.upperBound
        let spliced = garbage + Array(stream[..<cut]) + garbage + Array(stream[cut...])
        let out = path("out.mp4")
        let r = try vtok(["decode", "-", "--model", CLI.tinyModel, "-o", out], stdin: .bytes(spliced))
        assertReported(r, status: 0, mentions: "600 corrupt bytes skipped, 0 packets missing")
        assertTimesEqual(try probeTimes(out), try probeTimes(clip))
        let info = try vtok(["info", "--json", "-"], stdin: .bytes(spliced))
        XCTAssertEqual(info.status, 1)
        XCTAssertEqual(try json(info)["corrupt_bytes"] as? Int, 600)
        XCTAssertEqual(try json(info)["frames"] as? Int, 13)
    }

    func testDecodeOfATruncatedStream() throws {
        let (clip, stream) = try reference()
        let ps = packets(stream)
        // Cut inside the fourth TOKENS packet: three latent frames (1 + 4 + 4 frames) arrived whole.
        let cut = ps[4].range.lowerBound + 100
        let out = path("out.mkv")
        let r = try vtok(["decode", "--model", CLI.tinyModel, "-o", out], stdin: .bytes(Array(stream.prefix(cut))))
        assertReported(r, status: 1, mentions: "truncated")
        XCTAssertTrue(r.vtokLines.first?.contains("9 frames written") ?? false, r.summary)
        assertTimesEqual(try probeTimes(out), Array(try probeTimes(clip).prefix(9)), "the video is complete")
    }

    func testDecodeOfSomethingElse() throws {
        let media = try readBytes(try clip("not-tokens.mkv", frames: 3, codec: "ffv1"))
        let endOnly = EndInfo(framesIn: 0, latentFramesOut: 0, reason: .limitExceeded, message: "busy").packet(sequence: 0)
        for (bytes, message) in [(media, "not a vtok token stream"), ([], "not a vtok token stream"),
                                 (endOnly, "holds no video (END limitExceeded: busy)")] {
            let r = try vtok(["decode", "--model", CLI.tinyModel, "-o", path("out.mkv")], stdin: .bytes(bytes))
            assertReported(r, status: 1, mentions: message)
        }
        let r = try vtok(["decode", path("missing.vtok"), "--model", CLI.tinyModel, "-o", path("out.mkv")])
        assertReported(r, status: 1, mentions: "cannot open")
    }
}
