// `vtok info` and `vtok decode` on crafted token streams (issue 14): CRC-valid streams with extreme fields, a
// header that claims a huge frame, frames lost between HEADER and END, a size change, a failure mid-stream.
// Each ends with an exit status, at most one `vtok:` line, no signal, and bounded time and memory.
import Foundation
import XCTest
import VtokStream

final class HostileStreamCLITests: CLITestCase {
    /// A 13-frame clip and its token stream (HEADER, 4 TOKENS covering 1, 4, 4, 4 frames, END).
    func reference() throws -> (clip: String, stream: [UInt8]) {
        let clip = try clip("ref.mkv", frames: 13, codec: "ffv1")
        let r = try encode(clip)
        assertSuccess(r)
        return (clip, r.stdout)
    }

    /// Each packet's bytes, in order (docs/token-stream.md §3).
    static func packets(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var at = 0
        while at + 32 <= bytes.count {
            let length = (0..<4).reduce(0) { $0 | Int(bytes[at + 24 + $1]) << (8 * $1) }
            out.append(Array(bytes[at..<min(bytes.count, at + 36 + length)]))
            at += 36 + length
        }
        return out
    }

    /// Writes `value` little-endian at `offset` of `packet` and recomputes both CRCs, so the packet stays valid.
    static func patch<T: FixedWidthInteger>(_ packet: inout [UInt8], at offset: Int, _ value: T) {
        for k in 0..<(T.bitWidth / 8) { packet[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
        resign(&packet)
    }

    static func resign(_ packet: inout [UInt8]) {
        func store(_ v: UInt32, _ at: Int) { for k in 0..<4 { packet[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) } }
        store(CRC32C.checksum(packet[0..<28]), 28)
        store(CRC32C.checksum(packet[0..<(packet.count - 4)]), packet.count - 4)
    }

    /// At most one `vtok:` line, no signal, no timeout; one line exactly when the status is not 0.
    func assertHandled(_ r: ProcessResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.signalled, "killed by a signal: \(r.summary)", file: file, line: line)
        XCTAssertFalse(r.timedOut, "timed out: \(r.command)", file: file, line: line)
        XCTAssertTrue([0, 1].contains(r.status), r.summary, file: file, line: line)
        XCTAssertLessThanOrEqual(r.vtokLines.count, 1, r.summary, file: file, line: line)
        if r.status != 0 { XCTAssertEqual(r.vtokLines.count, 1, "a failure says why: \(r.summary)", file: file, line: line) }
    }

    /// Sequence 2^64-1 on the second packet: 'Swift runtime failure: arithmetic overflow' in info and decode before.
    func testSequenceNumberMaxIsReportedNotACrash() throws {
        let (_, stream) = try reference()
        var ps = Self.packets(stream)
        Self.patch(&ps[1], at: 8, UInt64.max)
        let file = try write(ps.flatMap { $0 }, to: "seq.vtok")
        let info = try vtok(["info", file, "--json"])
        assertHandled(info)
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(info.stdout)) as? [String: Any])
        XCTAssertEqual(o["frames"] as? Int, 13)
        XCTAssertEqual(o["missing_packets"] as? UInt64, UInt64.max, "the sum saturates")
        let decode = try vtok(["decode", file, "--model", CLI.tinyModel, "-o", path("seq.mkv")])
        assertHandled(decode)
        XCTAssertEqual(decode.status, 0, "every frame END counts was decoded")
        XCTAssertEqual(try probeTimes(path("seq.mkv")).count, 13)
    }

    /// pts, frame_index, latent_index and frame_count at their extremes in CRC-valid TOKENS packets.
    func testTokenFieldExtremesDoNotCrashInfoOrDecode() throws {
        let (_, stream) = try reference()
        let edits: [(offset: Int, value: UInt64)] = [
            (32 + 16, UInt64(bitPattern: Int64.max)), (32 + 16, UInt64(bitPattern: Int64.min)),     // pts[0]
            (32 + 24, UInt64(bitPattern: Int64.min)), (32 + 24, UInt64(bitPattern: Int64.max)),     // pts[1]
            (32 + 8, UInt64.max), (32 + 8, UInt64(Int64.max)),                                      // frame_index
        ]
        for (k, edit) in edits.enumerated() {
            for victim in [2, 3] {
                var ps = Self.packets(stream)
                Self.patch(&ps[victim], at: edit.offset, edit.value)
                if edit.offset == 32 + 16 { Self.patch(&ps[victim], at: 16, edit.value) }    // packet pts = pts[0]
                let file = try write(ps.flatMap { $0 }, to: "edit-\(k)-\(victim).vtok")
                assertHandled(try vtok(["info", file]))
                assertHandled(try vtok(["info", file, "--json"]))
                assertHandled(try vtok(["decode", file, "--model", CLI.tinyModel, "-o", path("e\(k)-\(victim).mkv")]))
            }
        }
    }

    /// A 512 KB CRC-valid stream declaring 4096x4096 frames: 7.9 GB of RSS before. Now refused at the header.
    func testHugeDeclaredFrameIsRefusedBeforeAllocating() throws {
        let (_, stream) = try reference()
        var header = try XCTUnwrap(ParsedStream(stream).headers.first)
        header.latentHeight = 512
        header.latentWidth = 512
        var w = try StreamWriter(header: header)
        var bytes = w.begin()
        bytes += try w.tokensPacket(pts: [0], tokens: [UInt16](repeating: 0, count: 512 * 512))
        bytes += w.endPacket(reason: .endOfInput)
        let file = try write(bytes, to: "huge.vtok")
        let started = Date()
        let r = try vtok(["decode", file, "--model", CLI.tinyModel, "-o", path("huge.mkv")], timeout: 30)
        assertReported(r, status: 1, mentions: "over the limit of 8294400 pixels")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        let lower = try vtok(["decode", try write(stream, to: "ref.vtok"), "--model", CLI.tinyModel, "--max-pixels", "1000",
                              "-o", path("small.mkv")])
        assertReported(lower, status: 1, mentions: "48x32")
    }

    /// A TOKENS packet removed whole: no corrupt byte, but END counts 13 frames and 4 were never decoded. Exit 0
    /// with no message before.
    func testDecodeChecksTheCountsInEND() throws {
        let (clip, stream) = try reference()
        var ps = Self.packets(stream)
        ps.remove(at: 3)                                   // the third TOKENS: frames 5...8
        let out = path("short.mkv")
        let r = try vtok(["decode", try write(ps.flatMap { $0 }, to: "short.vtok"), "--model", CLI.tinyModel, "-o", out])
        assertReported(r, status: 1, mentions: "4 of 13 frames and 1 of 4 latent frames that END counts were not decoded")
        XCTAssertTrue(r.vtokLines.first?.contains("1 packets missing") ?? false, r.summary)
        let source = try probeTimes(clip)
        assertTimesEqual(try probeTimes(out), Array(source[0..<5] + source[9..<13]))
    }

    /// A damaged stream makes `vtok info` exit 1: it says so on stderr (it said nothing before, only on stdout).
    func testInfoSaysWhyItFails() throws {
        let (_, stream) = try reference()
        var damaged = stream
        damaged[stream.count / 2] ^= 0x40
        let r = try vtok(["info", try write(damaged, to: "d.vtok")])
        assertReported(r, status: 1, mentions: "damaged token stream")
        let cut = try vtok(["info", try write(Array(stream.dropLast(7)), to: "cut.vtok")])
        assertReported(cut, status: 1, mentions: "truncated")
    }

    /// A decode that fails mid-stream (a CRC-valid TOKENS whose pts go backwards) still closes the video: the
    /// frames before the failure play (an mp4 of 48 bytes, 'moov atom not found', before).
    func testFailureMidStreamFinalisesTheVideo() throws {
        let (_, stream) = try reference()
        var ps = Self.packets(stream)
        for at in [16, 32 + 16] { Self.patch(&ps[4], at: at, Int64(0)) }      // fourth TOKENS restarts at pts 0
        let out = path("partial.mp4")
        let r = try vtok(["decode", try write(ps.flatMap { $0 }, to: "back.vtok"), "--model", CLI.tinyModel, "-o", out])
        assertReported(r, status: 1, mentions: "pts")
        XCTAssertEqual(try probeTimes(out).count, 9, "latents 0...2 were written and the mp4 is complete")
    }

    /// A stream `vtok encode` wrote through a size change (two segments) decodes whole, at the first segment's
    /// model size with --size model (stopped at the change with exit 1 before).
    func testDecodeThroughASizeChange() throws {
        let a = try readBytes(try ffmpeg("a.ts", Self.testsrc(frames: 5, codec: "mpeg4", format: "mpegts")))
        let b = try readBytes(try ffmpeg("b.ts", Self.testsrc(size: "64x48", frames: 5, codec: "mpeg4", format: "mpegts")
                                             + ["-output_ts_offset", "0.2"]))
        let joined = try write(a + b, to: "size-change.ts")
        let enc = try vtok(["encode", joined, "--model", CLI.tinyModel])
        assertSuccess(enc)
        let parsed = ParsedStream(enc.stdout)
        XCTAssertEqual(parsed.headers.count, 2)
        XCTAssertNotEqual(parsed.headers.first?.modelSize, parsed.headers.last?.modelSize)
        let out = path("both.mkv")
        let r = try vtok(["decode", try write(enc.stdout, to: "two.vtok"), "--model", CLI.tinyModel, "--size", "model", "-o", out])
        assertSuccess(r)
        XCTAssertEqual(try probeTimes(out).count, 10)
        let size = try run(CLI.ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                                         "-of", "csv=p=0", out])
        let first = try XCTUnwrap(parsed.headers.first).modelSize
        XCTAssertEqual(size.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "\(first.width),\(first.height)")
    }
    /// Mutants of a real stream (bit flips, cuts, insertions, deletions, duplicated packets, and re-signed
    /// header and token-field mutations): `vtok info` exits 0 or 1, never by a signal, and says why when it
    /// fails (2,971 of 4,313 mutants exited 1 with nothing on stderr before; 13 trapped).
    func testInfoOnMutatedStreamsAlwaysSaysWhy() throws {
        let (_, stream) = try reference()
        let ps = Self.packets(stream)
        var g = SplitMix(seed: 14)
        var mutants: [[UInt8]] = []
        for k in 0..<120 {
            var m = stream
            switch k % 6 {
            case 0: m[Int(g.next() % UInt64(m.count))] ^= UInt8(1 << (g.next() % 8))
            case 1: m = Array(m.prefix(Int(g.next() % UInt64(m.count))))
            case 2: m.insert(contentsOf: (0..<Int(g.next() % 40 + 1)).map { _ in UInt8(truncatingIfNeeded: g.next()) },
                             at: Int(g.next() % UInt64(m.count)))
            case 3: let at = Int(g.next() % UInt64(m.count)); m.removeSubrange(at..<min(m.count, at + Int(g.next() % 64 + 1)))
            case 4: let i = Int(g.next() % UInt64(ps.count)); var q = ps; q.insert(ps[i], at: i); m = q.flatMap { $0 }
            default:
                // A re-signed field mutation in the HEADER payload or in a TOKENS packet's fixed fields.
                var q = ps
                let i = Int(g.next() % UInt64(ps.count - 1))
                let span = q[i][4] == 1 ? 32..<(32 + 120) : 8..<min(q[i].count - 4, 32 + 40)
                let at = span.lowerBound + Int(g.next() % UInt64(span.count))
                q[i][at] = UInt8(truncatingIfNeeded: g.next())
                Self.resign(&q[i])
                m = q.flatMap { $0 }
            }
            mutants.append(m)
        }
        var failures = 0
        for (k, m) in mutants.enumerated() {
            let file = try write(m, to: "m\(k).vtok")
            let r = try vtok(["info", file, "--json"])
            assertHandled(r)
            if r.status != 0 { failures += 1 }
        }
        XCTAssertGreaterThan(failures, 20, "most mutants are damaged and say so")
    }
}

/// A small deterministic generator (SplitMix64) so a failing mutant can be found again.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
