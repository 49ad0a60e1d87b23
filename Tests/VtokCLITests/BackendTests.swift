// `--backend`: both compute libraries tokenise the same clip to (nearly always) the same tokens, and a process
// that may not generate code at run time (a W^X policy such as systemd's MemoryDenyWriteExecute=yes) gets one
// clear line at start from the oneDNN backend, while the OpenBLAS backend still works there.
import Foundation
import XCTest
import VtokStream

final class BackendTests: CLITestCase {
    func testBothBackendsGiveTheSameTokens() throws {
        let clip = try clip("clip.nut", size: "64x48", frames: 13, codec: "ffv1")
        var streams: [ParsedStream] = []
        for backend in ["onednn", "openblas"] {
            let r = try vtok(["encode", clip, "--model", CLI.tinyModel, "--backend", backend])
            assertSuccess(r)
            let s = ParsedStream(r.stdout)
            s.assertWellFormed()
            XCTAssertEqual(s.frames.count, 4, backend)
            streams.append(s)
        }
        // The libraries sum in different orders; a token may differ only where a value sits on a rounding boundary.
        let a = streams[0].frames.flatMap(\.tokens), b = streams[1].frames.flatMap(\.tokens)
        XCTAssertEqual(a.count, b.count)
        let differing = zip(a, b).filter { $0 != $1 }.count
        XCTAssertLessThanOrEqual(differing, a.count / 1000, "\(differing) of \(a.count) tokens differ")
    }

    func testNoRunTimeCodeGenerationIsReportedAtStart() throws {
        // PR_SET_MDWE (Linux 6.3+) with PR_MDWE_REFUSE_EXEC_GAIN: what MemoryDenyWriteExecute=yes enforces.
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw XCTSkip("needs \(python)") }
        let wrapper = """
            import ctypes, os, sys
            if ctypes.CDLL(None, use_errno=True).prctl(65, 1, 0, 0, 0) != 0: sys.exit(77)
            os.execv(sys.argv[1], sys.argv[1:])
            """
        let clip = try clip("clip.nut", size: "48x32", frames: 5, codec: "ffv1")
        let out = path("out.vtok")
        let denied = try run(python, ["-c", wrapper, vtok, "encode", clip, "--model", CLI.tinyModel, "-o", out])
        if denied.status == 77 { throw XCTSkip("this kernel has no PR_SET_MDWE") }
        assertReported(denied, status: 1, mentions: "--backend openblas")
        XCTAssertTrue(denied.stderr.contains("MemoryDenyWriteExecute"), denied.summary)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output may be written when the engine cannot start")

        let allowed = try run(python, ["-c", wrapper, vtok, "encode", clip, "--model", CLI.tinyModel, "-o", out,
                                       "--backend", "openblas"])
        assertSuccess(allowed)
        ParsedStream(try readBytes(out)).assertWellFormed()
    }

    /// `vtok bench --json` (snake_case, like every command's JSON) reports the backend, its kernels, both libraries' sgemm peaks and a speed.
    func testBenchReportsEachBackend() throws {
        for backend in ["onednn", "openblas"] {
            let r = try vtok(["bench", "--json", "--seconds", "0.2", "--size", "64x48", "--model", CLI.tinyModel,
                              "--backend", backend, "--threads", "2"])
            assertSuccess(r)
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], r.stdoutText)
            XCTAssertEqual(json["backend"] as? String, backend)
            XCTAssertEqual(json["threads"] as? Int, 2)
            let kernels = try XCTUnwrap(json["kernels"] as? [String])
            XCTAssertFalse(kernels.isEmpty)
            // OpenBLAS: im2col + sgemm, and Winograd on OpenBLAS's sgemm for the wide 3x3 layers (--conv auto).
            if backend == "openblas" {
                XCTAssertTrue(Set(kernels).isSubset(of: ["im2col+sgemm", "winograd2x2+openblas_sgemm", "winograd4x4+openblas_sgemm"]), "\(kernels)")
                XCTAssertTrue(kernels.contains("im2col+sgemm"), "\(kernels)")
            }
            let peaks = try XCTUnwrap(json["sgemm_peak_gflops_by_library"] as? [String: Double])
            XCTAssertEqual(Set(peaks.keys), ["onednn", "openblas"])
            XCTAssertTrue(peaks.values.allSatisfy { $0 > 0 }, "\(peaks)")
            XCTAssertEqual(json["sgemm_peak_gflops"] as? Double, peaks[backend])
            XCTAssertGreaterThan(json["encode_fps"] as? Double ?? 0, 0)
            XCTAssertGreaterThan(json["decode_fps"] as? Double ?? 0, 0)
        }
    }

    /// `vtok bench --layers`: one row per 3x3 conv shape of the model with each algorithm's time, the fastest and
    /// what --conv auto picks (the same rule as the sessions': F(4x4) from 16x16 up, F(2x2) below, direct for
    /// narrow layers).
    func testBenchTimesEachLayerShapeByEachAlgorithm() throws {
        let r = try vtok(["bench", "--layers", "--json", "--seconds", "0.3", "--size", "128x128", "--model", CLI.tinyModel])
        assertSuccess(r)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [[String: Any]], r.stdoutText)
        XCTAssertFalse(rows.isEmpty)
        let names = ["direct", "winograd2x2", "winograd4x4"]
        for row in rows {
            let layer = try XCTUnwrap(row["layer"] as? String)
            for key in ["direct_cpu_milliseconds", "winograd2x2_cpu_milliseconds", "winograd4x4_cpu_milliseconds",
                        "direct_milliseconds", "gflop"] {
                XCTAssertGreaterThan(row[key] as? Double ?? 0, 0, "\(layer) \(key)")
            }
            XCTAssertTrue(names.contains(row["fastest"] as? String ?? ""), "\(row)")
            XCTAssertTrue(names.contains(row["auto"] as? String ?? ""), "\(row)")
            XCTAssertGreaterThanOrEqual(row["per_latent"] as? Int ?? 0, 1)
        }
        XCTAssertTrue(rows.contains { ($0["layer"] as? String ?? "").hasPrefix("encoder") })
        XCTAssertTrue(rows.contains { ($0["layer"] as? String ?? "").hasPrefix("decoder") })
        let text = try vtok(["bench", "--layers", "--seconds", "0.1", "--size", "64x48", "--model", CLI.tinyModel])
        assertSuccess(text)
        XCTAssertTrue(text.stdoutText.contains("F(4x4)"), text.stdoutText)
    }
}
