// What every command does the way FFmpeg's tools do: '-' is stdin/stdout, quiet on success when stderr is not a
// terminal, non-zero on failure (never a signal), help and version; and the released model found with no flag.
import Foundation
import XCTest
import VtokStream

final class ConventionsTests: CLITestCase {
    func testHelpAndVersion() throws {
        let help = try vtok(["--help"])
        assertSuccess(help)
        for command in ["encode", "decode", "info", "serve", "bench"] {
            XCTAssertTrue(help.stdoutText.contains(command), "--help lists \(command)")
        }
        for command in ["encode", "decode", "info"] {
            let r = try vtok([command, "--help"])
            assertSuccess(r)
            XCTAssertTrue(r.stdoutText.contains("vtok \(command) "), "\(command) --help has examples")
        }
        XCTAssertTrue(try vtok(["encode", "--help"]).stdoutText.contains("Exit status"))
        XCTAssertTrue(try vtok(["decode", "--help"]).stdoutText.contains("Exit status"))
        let version = try vtok(["--version"])
        assertSuccess(version)
        XCTAssertNotNil(version.stdoutText.range(of: #"^vtok \d+\.\d+\.\d+\n"#, options: .regularExpression), version.stdoutText)
    }

    func testUsageErrorsFailWithoutASignal() throws {
        let clip = try clip("u.nut", frames: 2, codec: "mpeg4")
        for args in [["frobnicate"], ["encode", clip, "--bogus"], ["decode"], ["info", "--plot"]] {
            let r = try vtok(args)
            XCTAssertFalse(r.signalled, r.summary)
            XCTAssertNotEqual(r.status, 0, r.summary)
            XCTAssertFalse(r.stderr.isEmpty, r.summary)
        }
        let cases: [([String], String)] = [
            (["--size", "47x32"], "invalid size"),
            (["--size", "big"], "--size"),
            (["--on-size-change", "maybe"], "--on-size-change"),
            (["--fps", "0"], "--fps"),
        ]
        for (extra, message) in cases {
            let r = try vtok(["encode", clip, "--model", CLI.tinyModel] + extra)
            assertReported(r, status: 1, mentions: message)
            XCTAssertTrue(r.stdout.isEmpty, r.summary)
        }
        let r = try vtok(["encode", clip, "--model", path("missing.safetensors")])
        assertReported(r, status: 1, mentions: "cannot load model")
        let d = try vtok(["decode", "-", "-o", path("x.mkv"), "--model", path("missing.safetensors")], stdin: .bytes([]))
        assertReported(d, status: 1, mentions: "cannot load model")
    }

    /// stdout is the default output and '-' names it; -o FILE writes the same stream (the stream id aside).
    func testDashAndDefaultsMeanStdinAndStdout() throws {
        let clip = try clip("d.mkv", frames: 6, codec: "ffv1")
        let implicit = try encode(clip)
        let dash = try encode(clip, ["-o", "-"])
        let fromStdin = try encode("-", stdin: .file(clip))
        let fromPipe = try encode("-", stdin: .pipe(clip))
        let toFile = try encode(clip, ["-o", path("d.vtok")])
        for r in [implicit, dash, fromStdin, fromPipe, toFile] { assertSuccess(r) }
        XCTAssertTrue(toFile.stdout.isEmpty)
        let streams = [implicit.stdout, dash.stdout, fromStdin.stdout, fromPipe.stdout, try readBytes(path("d.vtok"))]
            .map { ParsedStream($0) }
        for s in streams {
            s.assertWellFormed()
            XCTAssertEqual(s.frames.map(\.tokens), streams[0].frames.map(\.tokens))
            XCTAssertEqual(s.pts, streams[0].pts)
        }
        XCTAssertNotEqual(streams[0].headers.first?.streamID, streams[1].headers.first?.streamID, "random stream ids")
    }

    /// An output that cannot be written is exit status 2 with a message: a missing folder, or a reader that
    /// went away (`vtok encode clip | head -c 100` must not die of SIGPIPE).
    func testOutputThatCannotBeWritten() throws {
        let clip = try clip("w.nut", size: "64x64", frames: 20, codec: "mpeg4")
        let r = try encode(clip, ["-o", path("no/such/folder/x.vtok")])
        assertReported(r, status: 2, mentions: "cannot open")

        // 256x256 with continuous latents: ~25 KiB per latent frame, well over what a pipe buffers, so vtok is
        // still writing when `head` has gone.
        let (enc, head) = try pipeline(
            (vtok, ["encode", clip, "--model", CLI.tinyModel, "--size", "256x256", "--continuous"]),
            ("/usr/bin/head", ["-c", "100"]))
        XCTAssertEqual(head.stdout.count, 100)
        assertReported(enc, status: 2, mentions: "broken pipe")
    }

    /// The released model, found with no --model (models/ in the source tree), on a 64x64 clip.
    func testDefaultModel() throws {
        let clip = try clip("default.mkv", size: "64x64", frames: 5, codec: "ffv1")
        var env = ProcessInfo.processInfo.environment
        env["VTOK_MODEL"] = nil                             // really the default lookup
        guard FileManager.default.fileExists(atPath: CLI.releasedModel) else {
            return XCTFail("the released model is committed at \(CLI.releasedModel)")
        }
        let r = try run(vtok, ["encode", clip, "-o", path("default.vtok")], environment: env)
        assertSuccess(r)
        let s = ParsedStream(try readBytes(path("default.vtok")))
        s.assertWellFormed()
        let h = try XCTUnwrap(s.headers.first)
        XCTAssertNotEqual(h.modelName, "vtok-tiny-test")
        XCTAssertEqual(h.levels, [8, 8, 8, 5, 5, 5])
        XCTAssertEqual([h.temporalFactor, h.spatialFactor], [4, 8])
        XCTAssertEqual(h.modelSize, .init(width: 256, height: 256), "short side 256 by default")
        XCTAssertEqual([h.latentHeight, h.latentWidth], [32, 32])
        XCTAssertEqual(s.frameCounts, [1, 4])
        let out = path("default-out.mkv")
        assertSuccess(try run(vtok, ["decode", path("default.vtok"), "-o", out], environment: env))
        assertTimesEqual(try probeTimes(out), try probeTimes(clip))
    }
}
