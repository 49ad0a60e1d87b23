// `vtok encode` of many inputs into a folder: outputs, the results manifest, failures, --resume, --shard,
// manifests, and what an interrupted batch leaves behind.
import Foundation
import Glibc
import XCTest
import VtokStream

final class BatchEncodeTests: CLITestCase {
    private let encode = ["encode", "--model", CLI.tinyModel, "--size", "48x32"]

    /// Results manifest lines as dictionaries.
    private func results(_ file: String) throws -> [[String: Any]] {
        try String(decoding: readBytes(file), as: UTF8.self).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    private func sha256(_ file: String) throws -> String {
        let r = try run("/usr/bin/sha256sum", [file])
        return String(r.stdoutText.prefix(64))
    }

    private func clips(_ frames: [Int], in folder: String = "clips") throws -> [String] {
        try FileManager.default.createDirectory(atPath: path(folder), withIntermediateDirectories: true)
        return try frames.enumerated().map { try clip("\(folder)/c\($0.offset).mp4", frames: $0.element) }
    }

    func testSeveralInputsGiveOneCompleteStreamEachAndAResultsLineEach() throws {
        let inputs = try clips([1, 5, 9])
        let bad = try write(Array("not a video".utf8), to: "clips/bad.mp4")
        let r = try vtok(encode + inputs + [bad, "-o", path("out/")])
        XCTAssertEqual(r.status, 1, "one input failed: \(r.summary)")
        XCTAssertEqual(r.vtokLines.count, 1, r.stderr)
        XCTAssertTrue(r.vtokLines[0].hasPrefix("vtok: \(bad): "), r.stderr)
        let lines = try results(path("out/results.jsonl"))
        XCTAssertEqual(lines.count, 4)
        for (input, frames) in zip(inputs, [1, 5, 9]) {
            let out = path("out/" + ((input as NSString).lastPathComponent as NSString).deletingPathExtension + ".vtok")
            let s = ParsedStream(try readBytes(out))
            s.assertWellFormed()
            XCTAssertEqual(s.end?.framesIn, frames)
            let line = try XCTUnwrap(lines.first { $0["input"] as? String == input })
            XCTAssertEqual(line["output"] as? String, out)
            XCTAssertEqual(line["frames"] as? Int, frames)
            XCTAssertEqual(line["latent_frames"] as? Int, s.frames.count)
            XCTAssertEqual(line["bytes"] as? Int, try readBytes(out).count)
            XCTAssertEqual(line["sha256"] as? String, try sha256(out))
            XCTAssertTrue(line["error"] is NSNull)
        }
        let failed = try XCTUnwrap(lines.first { $0["input"] as? String == bad })
        XCTAssertTrue(failed["output"] is NSNull && failed["sha256"] is NSNull)
        XCTAssertNotNil(failed["error"] as? String)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out/bad.vtok")))
        let left = try FileManager.default.contentsOfDirectory(atPath: path("out")).filter { $0.hasPrefix(".") }
        XCTAssertEqual(left, [], "no temporary file is left")
    }

    func testAFolderIsSearchedForVideosAndKeepsItsLayout() throws {
        _ = try clips([5, 5], in: "tree")
        _ = try clips([5], in: "tree/sub")
        _ = try write(Array("notes".utf8), to: "tree/README.txt")
        let ok = try vtok(encode + ["--jobs", "2", path("tree"), "-o", path("out2")])   // a folder: a batch
        assertSuccess(ok)
        let found = try FileManager.default.subpathsOfDirectory(atPath: path("out2")).sorted()
        XCTAssertEqual(found, ["c0.vtok", "c1.vtok", "results.jsonl", "sub", "sub/c0.vtok"])
    }

    func testResumeSkipsWhatIsDoneAndRetriesTheRest() throws {
        let inputs = try clips([5, 5, 5])
        assertSuccess(try vtok(encode + inputs + ["-o", path("out/")]))
        let kept = try readBytes(path("out/c0.vtok"))
        try FileManager.default.removeItem(atPath: path("out/c1.vtok"))
        assertSuccess(try vtok(encode + inputs + ["-o", path("out/"), "--resume"]))
        let lines = try results(path("out/results.jsonl"))
        XCTAssertEqual(lines.count, 4, "three, then only the missing one")
        XCTAssertEqual(lines.last?["input"] as? String, inputs[1])
        XCTAssertEqual(try readBytes(path("out/c0.vtok")), kept, "a finished stream is not rewritten")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("out/c1.vtok")))
    }

    func testShardsSplitTheListWithoutOverlap() throws {
        let inputs = try clips([1, 1, 1, 1, 1])
        var seen: [String] = []
        for i in 0..<2 {
            assertSuccess(try vtok(encode + inputs + ["-o", path("out/"), "--shard", "\(i)/2"]))
            seen += try results(path("out/results-\(i)-of-2.jsonl")).compactMap { $0["input"] as? String }
        }
        XCTAssertEqual(seen.sorted(), inputs.sorted())
        XCTAssertEqual(Set(seen).count, 5)
        XCTAssertEqual(try results(path("out/results-0-of-2.jsonl")).count, 3)     // positions 0, 2, 4
        for bad in ["2/2", "1", "3/2", "a/b", "0/0"] {
            let r = try vtok(encode + inputs + ["-o", path("out/"), "--shard", bad])
            XCTAssertEqual(r.status, 1, bad)
            XCTAssertTrue(r.vtokLines.first?.contains("--shard") == true, r.stderr)
        }
    }

    func testManifestsOfTextAndJSONLines() throws {
        _ = try clips([5, 1], in: "list")
        _ = try write(Array("# clips\nc0.mp4\n\n{\"input\": \"c1.mp4\", \"output\": \"named\"}\n".utf8), to: "list/m.txt")
        assertSuccess(try vtok(encode + ["--manifest", path("list/m.txt"), "-o", path("out/")]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("out")).sorted(),
                       ["c0.vtok", "named.vtok", "results.jsonl"])
        XCTAssertEqual(try results(path("out/results.jsonl")).map { $0["input"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") },
                       [path("list/c0.mp4"), path("list/c1.mp4")])
        _ = try write(Array("c0.mp4\n{\"output\": \"x\"}\n".utf8), to: "list/bad.jsonl")
        let r = try vtok(encode + ["--manifest", path("list/bad.jsonl"), "-o", path("out/")])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.vtokLines, ["vtok: \(path("list/bad.jsonl")):2: not a JSON object with a string \"input\""])
        for outside in ["../x", "/tmp/x", "a/../../x"] {
            _ = try write(Array("{\"input\": \"c0.mp4\", \"output\": \"\(outside)\"}\n".utf8), to: "list/out.jsonl")
            let r = try vtok(encode + ["--manifest", path("list/out.jsonl"), "-o", path("out/")])
            XCTAssertEqual(r.status, 1, outside)
            XCTAssertEqual(r.vtokLines, ["vtok: \(path("list/out.jsonl")):1: \"output\" must be a file name inside the output folder"])
        }
    }

    func testBatchesRefuseStdinAndAStdoutOutput() throws {
        let inputs = try clips([1, 1])
        let r1 = try vtok(encode + inputs)
        XCTAssertEqual(r1.status, 1)
        XCTAssertEqual(r1.vtokLines, ["vtok: several inputs need an output folder: -o DIR/"])
        let r2 = try vtok(encode + [inputs[0], "-", "-o", path("out/")])
        XCTAssertEqual(r2.status, 1)
        XCTAssertEqual(r2.vtokLines, ["vtok: '-' (stdin) cannot be one input of a batch"])
        XCTAssertEqual(try vtok(encode + ["--jobs", "0"] + inputs + ["-o", path("out/")]).status, 1)
    }

    /// Kill -9 in the middle of an input (a FIFO fed half a clip, so the encode is surely running): its output
    /// name does not exist, only a dot-named partial file; --resume then encodes it whole. SIGINT instead: the
    /// partial file is removed and the exit status is 130.
    func testAnInterruptedBatchNeverLeavesAStreamThatLooksComplete() throws {
        let clip = try ffmpeg("clip.nut", Self.testsrc(frames: 200, codec: "mpeg4", format: "nut"))
        let bytes = try readBytes(clip)
        let input = path("in/live.nut")
        try FileManager.default.createDirectory(atPath: path("in"), withIntermediateDirectories: true)
        for sig in [SIGINT, SIGKILL] {
            try? FileManager.default.removeItem(atPath: path("out"))
            unlink(input)
            XCTAssertEqual(mkfifo(input, 0o644), 0)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: vtok)
            p.arguments = encode + [input, "-o", path("out/")]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            let fd = open(input, O_WRONLY)                  // blocks until vtok opens the FIFO
            XCTAssertGreaterThanOrEqual(fd, 0)
            let half = bytes.count / 2
            _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, half) }
            let partial = path("out/.live.vtok.partial")
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, ((try? FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int) ?? 0) == 0 {
                usleep(10_000)
            }
            XCTAssertTrue(FileManager.default.fileExists(atPath: partial), "the stream is being written aside")
            kill(p.processIdentifier, sig)
            XCTAssertTrue(waitForExit(p, timeout: 30))
            close(fd)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("out/live.vtok")), "signal \(sig)")
            if sig == SIGINT {
                XCTAssertEqual(p.terminationStatus, 130)
                XCTAssertFalse(FileManager.default.fileExists(atPath: partial), "SIGINT removes the partial file")
                XCTAssertEqual(try results(path("out/results.jsonl")).count, 0, "an interrupted input is not a result")
            } else {
                XCTAssertTrue(FileManager.default.fileExists(atPath: partial), "SIGKILL leaves only the dot-named file")
            }
        }
        // After the SIGKILL run's leftovers: --resume encodes the input whole, over the stale partial file.
        unlink(input)
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        assertSuccess(try vtok(encode + ["--resume", input, "-o", path("out/")], timeout: 300))
        let s = ParsedStream(try readBytes(path("out/live.vtok")))
        s.assertWellFormed()
        XCTAssertEqual(s.end?.framesIn, 200)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out/.live.vtok.partial")))
    }

    /// On a terminal (script(1) gives it one) a progress line with counts, rate and ETA; in a pipe nothing.
    func testAProgressLineOnATerminalOnly() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("no script(1)") }
        let inputs = try clips([1500, 1500, 5])
        let command = ([vtok] + encode + inputs + ["-o", path("out/"), "--jobs", "1"]).joined(separator: " ")
        let r = try run("/usr/bin/script", ["-qec", command, "/dev/null"], timeout: 300)
        XCTAssertEqual(r.status, 0, r.summary)
        let screen = r.stdoutText                              // the terminal's output: vtok's stderr
        XCTAssertTrue(screen.contains("/3 done, 0 failed, 0 skipped"), screen)
        XCTAssertTrue(screen.contains("clips/s") && screen.contains("frames/s") && screen.contains("ETA"), screen)
        XCTAssertTrue(screen.contains("vtok: 3 encoded, 0 failed, 0 skipped"), screen)
        try FileManager.default.removeItem(atPath: path("out"))
        assertSuccess(try vtok(encode + inputs + ["-o", path("out/"), "--jobs", "1"], timeout: 300))   // a pipe: quiet
    }
}
