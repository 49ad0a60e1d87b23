// The rough edges a new user meets: --version, one JSON style, model paths that must exist, messages in vtok's
// words, one description of an END-only stream, progress on a terminal only, documented exit codes, and the
// man page and completions `make install` puts in place.
import Foundation
import XCTest
import VtokTestSupport
import VtokStream

final class UserFacingTests: CLITestCase {
    func testVersionNamesModelAndLibrariesAndMatchesThePythonPackage() throws {
        let r = try vtok(["--version"])
        assertSuccess(r)
        let lines = r.stdoutText.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 5, r.stdoutText)
        XCTAssertTrue(lines[1].hasPrefix("model vtok-4x8x8 (sha256 "), r.stdoutText)
        XCTAssertTrue(lines[2].hasPrefix("FFmpeg 5.") && lines[2].contains("libavcodec"), r.stdoutText)
        XCTAssertTrue(lines[3].hasPrefix("oneDNN 2."), r.stdoutText)
        XCTAssertTrue(lines[4].hasPrefix("OpenBLAS 0."), r.stdoutText)
        // One version: the CLI's and python/pyproject.toml's.
        let pyproject = try String(contentsOfFile: CLI.root.appendingPathComponent("python/pyproject.toml").path, encoding: .utf8)
        let line = try XCTUnwrap(pyproject.split(separator: "\n").first { $0.hasPrefix("version = ") })
        let python = line.replacingOccurrences(of: "version = ", with: "").replacingOccurrences(of: "\"", with: "")
        XCTAssertEqual(lines[0], "vtok \(python)")
    }

    /// Every key snake_case, at any depth (dictionary keys that are data, like library names, are lower case too).
    func assertSnakeCase(_ value: Any, _ where_: String, file: StaticString = #filePath, line: UInt = #line) {
        if let d = value as? [String: Any] {
            for (k, v) in d {
                XCTAssertNotNil(k.range(of: "^[a-z0-9_]+$", options: .regularExpression), "\(where_): key '\(k)'", file: file, line: line)
                assertSnakeCase(v, where_, file: file, line: line)
            }
        } else if let a = value as? [Any] {
            for v in a { assertSnakeCase(v, where_, file: file, line: line) }
        }
    }

    func testOneJSONStyleAcrossCommands() throws {
        let clip = try clip("j.mkv", frames: 10, codec: "ffv1")        // 25 fps, 0.4 s
        assertSuccess(try encode(clip, ["-o", path("j.vtok")]))
        let info = try vtok(["info", path("j.vtok"), "--json"])
        assertSuccess(info)
        XCTAssertTrue(info.stdoutText.contains(#""frame_rate" : "25/1""#), info.stdoutText)
        XCTAssertFalse(info.stdoutText.contains(#"\/"#), "rationals are not escaped: \(info.stdoutText)")
        for number in info.stdoutText.matches(#"-?\d+\.\d+"#) {
            let digits = number.filter(\.isNumber).drop { $0 == "0" }
            XCTAssertLessThanOrEqual(digits.count, 9, "rounded float (9 significant digits at most): \(number)")
        }
        XCTAssertTrue(info.stdoutText.contains(#""duration_s" : 0.4,"#), "0.4, not 0.39999999999999997: \(info.stdoutText)")
        let bench = try vtok(["bench", "--json", "--seconds", "0.1", "--size", "64x48", "--model", CLI.tinyModel])
        assertSuccess(bench)
        try decode(clip, path("j-out.mkv"))
        let compare = try vtok(["compare", clip, path("j-out.mkv"), "--json"])
        assertSuccess(compare)
        for (name, r) in [("info", info), ("bench", bench), ("compare", compare)] {
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)), name)
            assertSnakeCase(o, name)
        }
    }

    func decode(_ clip: String, _ out: String) throws {
        assertSuccess(try vtok(["decode", path("j.vtok"), "-o", out, "--model", CLI.tinyModel]))
    }

    /// `vtok bench --reference --json` put a Swift tuple into JSONSerialization (NSCocoaErrorDomain 3840); the
    /// reference is an object now and NaN or infinite figures are null. A stand-in reference script keeps it fast.
    func testBenchReferenceJSONIsValid() throws {
        let work = path("ref")
        try FileManager.default.createDirectory(atPath: work + "/training", withIntermediateDirectories: true)
        try #"print('{"encode_fps": 0.0, "decode_fps": 12.5}')"#.write(toFile: work + "/training/bench_reference.py",
                                                                        atomically: true, encoding: .utf8)
        let r = try run(vtok, ["bench", "--reference", "--json", "--seconds", "0.1", "--size", "64x48", "--model", CLI.tinyModel],
                        currentDirectory: work)
        let data = Data(r.stdout)
        XCTAssertEqual(r.status, 0, String(decoding: data, as: UTF8.self))
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], String(decoding: data, as: UTF8.self))
        XCTAssertEqual((o["reference"] as? [String: Any])?["decode_fps"] as? Double, 12.5)
        XCTAssertTrue(o["encode_speedup"] is NSNull, "a zero reference speed gives null, not inf")
        XCTAssertGreaterThan(o["decode_speedup"] as? Double ?? 0, 0)
    }

    func testAModelPathThatDoesNotExistIsAnError() throws {
        let clip = try clip("m.mkv", frames: 2, codec: "ffv1")
        var env = ProcessInfo.processInfo.environment
        env["VTOK_MODEL"] = path("typo.safetensors")
        let r = try run(vtok, ["encode", clip, "-o", path("m.vtok")], environment: env)
        assertReported(r, status: 1, mentions: "named by VTOK_MODEL: no such file")
        XCTAssertTrue(r.vtokLines.first?.contains("unset it") ?? false, r.summary)
        let written = (try? readBytes(path("m.vtok")))?.count ?? 0
        XCTAssertEqual(written, 0, "no silent fallback to the released model")
        let m = try vtok(["decode", "-", "-o", path("x.mkv"), "--model", "/typo"], stdin: .bytes([]))
        assertReported(m, status: 1, mentions: "cannot load model '/typo': no such file")
        let damaged = try write(Array(repeating: 7, count: 64), to: "bad.safetensors")
        let d = try vtok(["encode", clip, "--model", damaged, "-o", path("m.vtok")])
        assertReported(d, status: 1, mentions: "cannot load model")
        XCTAssertFalse(d.stderr.contains("cannotRead(") || d.stderr.contains("truncated(needed"), d.summary)
        // A 3 GiB file (sparse) is not weights: refused from its size, in words, nothing read or written.
        let huge = path("huge.safetensors")
        XCTAssertTrue(FileManager.default.createFile(atPath: huge, contents: nil))
        XCTAssertEqual(truncate(huge, 3 << 30), 0)
        let h = try vtok(["encode", clip, "--model", huge, "-o", path("h.vtok")])
        assertReported(h, status: 1, mentions: "more than any vtok weights file")
        XCTAssertFalse(h.stderr.contains("tooLarge("), h.summary)
        XCTAssertEqual((try? readBytes(path("h.vtok")))?.count ?? 0, 0)
    }

    /// FFmpeg's words come after vtok's: what failed and what to do, then "(FFmpeg: function: text)".
    func testWriterFailuresSayWhatToDo() throws {
        let clip = try clip("w.mkv", frames: 2, codec: "ffv1")
        assertSuccess(try encode(clip, ["-o", path("w.vtok")]))
        let cases: [([String], String)] = [
            (["-o", path("x.mkv"), "--codec", "pcm_s16le"], "the encoder refused the picture settings"),
            (["-o", path("x.mp4"), "--codec", "ffvhuff"], "the container cannot hold this video"),
            (["-o", path("x.mkv"), "--codec", "nosuchcodec"], "choose another with --codec"),
            (["-o", path("x.weird")], "use a known extension"),
            (["-o", path("no/such/dir/x.mkv")], "check the folder exists"),
        ]
        for (extra, message) in cases {
            let r = try vtok(["decode", path("w.vtok"), "--model", CLI.tinyModel] + extra)
            assertReported(r, status: 2, mentions: message)
            XCTAssertNil(r.stderr.range(of: #"failed: .* \(-\d+\)"#, options: .regularExpression), r.summary)
        }
    }

    /// Input failures of encode: vtok's words first, FFmpeg's after, no "failed: ... (-N)".
    func testInputFailuresSayWhatToDo() throws {
        let garbage = try write(Array(repeating: 0x42, count: 4096), to: "garbage.mp4")
        let wav = try ffmpeg("sine.wav", ["-f", "lavfi", "-i", "sine=duration=0.2"])
        let cases: [([String], String)] = [([path("missing.mp4")], "no such file: check the path"),
                                           ([garbage], "not a video FFmpeg recognises"),
                                           ([wav], "has no video stream (audio or data only)"),
                                           ([wav, "-f", "bogus"], "FFmpeg has no input format 'bogus'")]
        for (args, message) in cases {
            let r = try vtok(["encode"] + args + ["--model", CLI.tinyModel, "-o", path("x.vtok")])
            assertReported(r, status: 1, mentions: message)
            XCTAssertNil(r.stderr.range(of: #"failed: .* \(-\d+\)"#, options: .regularExpression), r.summary)
        }
    }

    /// A stream of one END packet: `info` and `decode` say the same thing.
    func testEndOnlyStreamIsDescribedTheSameWay() throws {
        let endOnly = EndInfo(framesIn: 0, latentFramesOut: 0, reason: .inputError, message: "no frames").packet(sequence: 0)
        let f = try write(endOnly, to: "end.vtok")
        let info = try vtok(["info", f])
        let decode = try vtok(["decode", f, "-o", path("x.mkv"), "--model", CLI.tinyModel])
        assertReported(info, status: 1, mentions: "holds no video (END inputError: no frames)")
        assertReported(decode, status: 1, mentions: "holds no video (END inputError: no frames)")
        XCTAssertEqual(info.vtokLines, decode.vtokLines)
    }

    /// --stats: the frame and latent counts, and the latency median, p99 and maximum with the latent it was
    /// (so a user can tell the first latent's set-up from jitter), consistent with each other.
    func testStatsNameTheSlowestLatent() throws {
        let clip = try clip("st.mkv", frames: 9, codec: "ffv1")            // 1 + 4 + 4: 3 latent frames
        let r = try encode(clip, ["--stats", "-o", path("st.vtok")])
        XCTAssertEqual(r.status, 0, r.summary)
        let line = try XCTUnwrap(r.stderr.split(separator: "\n").first { $0.contains("latency per latent frame") })
        XCTAssertTrue(line.hasPrefix("vtok: 9 frames, 3 latent frames in "), String(line))
        let pattern = "median ([0-9.]+) ms, p99 ([0-9.]+) ms, max ([0-9.]+) ms \\(latent ([0-9]+)\\)$"
        let m = try XCTUnwrap(try NSRegularExpression(pattern: pattern).firstMatch(in: String(line),
                              range: NSRange(line.startIndex..., in: line)), String(line))
        let v = (1...4).map { Double((String(line) as NSString).substring(with: m.range(at: $0)))! }
        XCTAssertLessThanOrEqual(v[0], v[1]); XCTAssertLessThanOrEqual(v[1], v[2])
        XCTAssertTrue((0..<3).contains(Int(v[3])), String(line))
    }

    /// Progress only on a terminal (util-linux `script` gives the command one), with the total, rate and ETA;
    /// nothing with --quiet, nothing in a pipe (every other test's assertSuccess checks stderr is empty).
    func testProgressOnATerminalOnly() throws {
        let script = "/usr/bin/script"
        guard FileManager.default.isExecutableFile(atPath: script) else { throw XCTSkip("util-linux script is needed for a TTY") }
        let clip = try clip("p.mkv", frames: 41, codec: "ffv1")
        func onTTY(_ args: [String]) throws -> String {
            let line = ([vtok] + args).map { "'\($0)'" }.joined(separator: " ")
            let r = try run(script, ["-qec", line, "/dev/null"])
            XCTAssertEqual(r.status, 0, r.summary)
            return r.stdoutText
        }
        let enc = try onTTY(["encode", clip, "--model", CLI.tinyModel, "--size", "48x32", "-o", path("p.vtok")])
        XCTAssertTrue(enc.contains("encode  41/41 frames  100%"), enc)
        XCTAssertTrue(enc.contains("fps"), enc)
        XCTAssertTrue(enc.contains("ETA") || enc.components(separatedBy: "\r").count <= 3, "an ETA while it runs: \(enc)")
        let dec = try onTTY(["decode", path("p.vtok"), "--model", CLI.tinyModel, "-o", path("p.mkv")])
        XCTAssertTrue(dec.contains("decode  41/41 frames  100%"), dec)
        XCTAssertTrue(dec.contains("/~"), "the total is estimated from the file's size while it runs: \(dec)")
        let quiet = try onTTY(["decode", path("p.vtok"), "--model", CLI.tinyModel, "-o", path("q.mkv"), "--quiet"])
        XCTAssertEqual(quiet, "")
        let cmp = try onTTY(["compare", clip, path("p.mkv"), "--json", "-q"])
        XCTAssertFalse(cmp.contains("compare  "), "no progress under -q")
        XCTAssertTrue(cmp.contains("\"per_frame\""), cmp)
    }

    func testExitCodesAreDocumentedInOneTable() throws {
        let help = try vtok(["--help"])
        assertSuccess(help)
        for row in ["0    success", "1    the input", "2    the output", "64   usage"] {
            XCTAssertTrue(help.stdoutText.contains(row), "--help has '\(row)'")
        }
        let readme = try String(contentsOfFile: CLI.root.appendingPathComponent("README.md").path, encoding: .utf8)
        for row in ["| 0 |", "| 1 |", "| 2 |", "| 64 |"] { XCTAssertTrue(readme.contains(row), "README has \(row)") }
        let r = try vtok(["encode", "--no-such-option"])
        XCTAssertEqual(r.status, 64, r.summary)
    }

    /// `make install-files` puts the man page (from the --help text) and bash/zsh/fish completions in place.
    func testInstallPutsManPageAndCompletions() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/make") else { throw XCTSkip("make not installed") }
        let prefix = path("prefix")
        let r = try run("/usr/bin/make", ["-s", "-C", CLI.root.path, "install-files", "PREFIX=\(prefix)", "BIN=\(vtok)"])
        XCTAssertEqual(r.status, 0, r.summary)
        let man = try String(contentsOfFile: prefix + "/share/man/man1/vtok.1", encoding: .utf8)
        XCTAssertTrue(man.hasPrefix(".TH VTOK 1"), man)
        for section in ["VTOK ENCODE", "VTOK DECODE", "VTOK COMPARE", "VTOK INFO", "64   usage"] {
            XCTAssertTrue(man.contains(section), "the man page has \(section)")
        }
        XCTAssertTrue(man.contains("\\-\\-side\\-by\\-side"), "options come from the help text")
        for (file, marker) in [("share/bash-completion/completions/vtok", "compare"), ("share/zsh/site-functions/_vtok", "#compdef vtok"),
                               ("share/fish/vendor_completions.d/vtok.fish", "compare")] {
            let text = try String(contentsOfFile: prefix + "/" + file, encoding: .utf8)
            XCTAssertTrue(text.contains(marker), "\(file) has \(marker)")
        }
    }
}

extension String {
    func matches(_ pattern: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        return re.matches(in: self, range: NSRange(startIndex..., in: self)).compactMap { Range($0.range, in: self).map { String(self[$0]) } }
    }
}
