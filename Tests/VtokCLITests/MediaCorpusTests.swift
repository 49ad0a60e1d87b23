// The damaged-media corpus of scripts/media_corpus.sh (truncations, garbage, zero frames, audio only, huge
// declared sizes, a size change, odd sizes, 1x1, 10-bit, 4:4:4, rotation metadata, interlaced, VFR) through
// `vtok encode` as a path and as a pipe, then `vtok decode`: each run ends with a status, one `vtok:` line when
// it fails, and either no output (the input never opened) or a complete END-terminated stream that decodes.
import Foundation
import XCTest
import VtokTestSupport
import VtokStream

final class MediaCorpusTests: CLITestCase {
    func testEveryCaseEncodesAndDecodesOrSaysWhy() throws {
        let corpus = path("corpus")
        let made = try run("/bin/bash", [CLI.root.appendingPathComponent("scripts/media_corpus.sh").path, corpus],
                           timeout: 300)
        XCTAssertEqual(made.status, 0, made.summary)
        let cases = made.stdoutText.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        var failed = 0, decoded = 0
        for name in cases {
            let file = corpus + "/" + name
            for (input, stdin) in [(file, ProcessInput.null), ("-", .file(file))] {
                let r = try vtok(["encode", input, "--model", CLI.tinyModel], stdin: stdin, timeout: 120)
                let label = "\(name) as \(input == "-" ? "pipe" : "path")"
                XCTAssertFalse(r.signalled, "\(label): \(r.summary)")
                XCTAssertFalse(r.timedOut, label)
                XCTAssertTrue([0, 1].contains(r.status), "\(label): \(r.summary)")
                XCTAssertLessThanOrEqual(r.vtokLines.count, 1, "\(label): \(r.summary)")
                if r.status != 0 {
                    failed += 1
                    XCTAssertEqual(r.vtokLines.count, 1, "\(label): a failure says why: \(r.summary)")
                }
                guard !r.stdout.isEmpty else {
                    XCTAssertNotEqual(r.status, 0, "\(label): exit 0 with no stream")
                    continue
                }
                let s = ParsedStream(r.stdout)
                XCTAssertTrue(s.isComplete, "\(label): the stream ends with END: \(String(describing: s.problem))")
                XCTAssertEqual(s.end?.framesIn, s.frames.reduce(0) { $0 + $1.frameCount }, label)
                guard input != "-", !s.frames.isEmpty else { continue }
                let out = path("\(name).mkv")
                let d = try vtok(["decode", try write(r.stdout, to: "\(name).vtok"), "--model", CLI.tinyModel, "-o", out],
                                 timeout: 120)
                XCTAssertFalse(d.signalled, "\(name) decode: \(d.summary)")
                XCTAssertEqual(d.status, 0, "\(name) decode: \(d.summary)")
                XCTAssertEqual(try probeTimes(out).count, s.end?.framesIn, "\(name): every frame END counts")
                decoded += 1
            }
        }
        XCTAssertGreaterThan(failed, 10, "most damaged cases fail")
        XCTAssertGreaterThan(decoded, 10, "the good ones round-trip")
        print("media corpus: \(cases.count) cases, \(2 * cases.count) encodes (\(failed) failed as expected), \(decoded) decodes")
    }
}
