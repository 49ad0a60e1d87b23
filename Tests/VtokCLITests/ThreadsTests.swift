// --threads and --conv on every command that loads weights; the default thread count is the cores the process
// may use (its affinity mask), not a BLAS library's environment variable (issue 10, issue 13).
import Foundation
import XCTest

final class ThreadsTests: CLITestCase {
    private func benchThreads(_ prefix: [String], env: [String: String]? = nil, extra: [String] = []) throws -> Int? {
        let args = ["bench", "--json", "--seconds", "0.1", "--size", "64x48", "--model", CLI.tinyModel] + extra
        let r = prefix.isEmpty ? try run(vtok, args, environment: env)
                               : try run(prefix[0], Array(prefix.dropFirst()) + [vtok] + args, environment: env)
        assertSuccess(r)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], r.stdoutText)
        return json["threads"] as? Int
    }

    func testDefaultThreadsFollowTheAffinityMaskNotOpenBLAS() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        XCTAssertEqual(try benchThreads([], env: env), cores, "OPENBLAS_NUM_THREADS no longer throttles the engine")
        let taskset = "/usr/bin/taskset"
        guard FileManager.default.isExecutableFile(atPath: taskset) else { throw XCTSkip("taskset missing") }
        XCTAssertEqual(try benchThreads([taskset, "-c", "0"]), 1, "one CPU allowed, one thread")
        XCTAssertEqual(try benchThreads([], extra: ["--threads", "3"]), 3)
    }

    func testThreadsAndConvOnEveryCommand() throws {
        let clip = try ffmpeg("t.nut", ["-f", "lavfi", "-i", "testsrc2=size=48x32:rate=25", "-frames:v", "9",
                                        "-c:v", "ffv1"])
        let a = try vtok(["encode", clip, "--model", CLI.tinyModel, "--threads", "1", "--conv", "direct"])
        assertSuccess(a)
        let b = try vtok(["encode", clip, "--model", CLI.tinyModel, "--threads", "2", "--conv", "winograd"])
        assertSuccess(b)
        XCTAssertEqual(ParsedStream(a.stdout).frames.count, ParsedStream(b.stdout).frames.count)
        let d = try vtok(["decode", try write(b.stdout, to: "t.vtok"), "--model", CLI.tinyModel, "--threads", "1",
                          "-o", path("t.mkv")])
        assertSuccess(d)
        let bad = try vtok(["encode", clip, "--model", CLI.tinyModel, "--threads", "0"])
        assertReported(bad, status: 1, mentions: "--threads must be between 1 and 256")
        let badConv = try vtok(["encode", clip, "--model", CLI.tinyModel, "--conv", "fft"])
        XCTAssertEqual(badConv.status, 64, badConv.summary)
    }
}
