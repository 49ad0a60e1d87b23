// The kernels an AVX2-only CPU runs, exercised on any x86-64 machine (issue 10): oneDNN limited to AVX2
// (ONEDNN_MAX_CPU_ISA=AVX2), OpenBLAS on its Haswell kernels, with direct, Winograd F(2x2) and F(4x4) 3x3
// convolutions. Each gives the released model's tokens for the shipped sample (samples/sample.vtok, written on
// AVX-512 kernels), up to tokens whose value lies at a rounding boundary (at most 0.1%).
import Foundation
import XCTest

final class AVX2PathTests: CLITestCase {
    private var avx2: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["ONEDNN_MAX_CPU_ISA"] = "AVX2"
        env["OPENBLAS_CORETYPE"] = "Haswell"
        return env
    }

    func testEveryBackendAndAlgorithmUnderAVX2GivesTheSampleTokens() throws {
        let sample = CLI.root.appendingPathComponent("samples/sample.mp4").path
        let reference = ParsedStream(try readBytes(CLI.root.appendingPathComponent("samples/sample.vtok").path))
        let want = reference.frames.flatMap(\.tokens)
        // auto at 256x256 runs F(4x4) on the wide layers; winograd forces F(2x2): both rules on both sgemms.
        for (backend, conv) in [("onednn", "direct"), ("onednn", "auto"), ("onednn", "winograd"),
                                ("openblas", "direct"), ("openblas", "auto"), ("openblas", "winograd")] {
            let r = try run(vtok, ["encode", sample, "--backend", backend, "--conv", conv], environment: avx2)
            assertSuccess(r)
            let got = ParsedStream(r.stdout).frames.flatMap(\.tokens)
            XCTAssertEqual(got.count, want.count, "\(backend) \(conv)")
            let differing = zip(got, want).filter { $0 != $1 }.count
            XCTAssertLessThanOrEqual(differing, want.count / 1000, "\(backend) \(conv): \(differing) tokens differ")
        }
    }

    func testBenchSaysWhichInstructionSetItRan() throws {
        let r = try vtok(["bench", "--json", "--seconds", "0.1", "--size", "64x48", "--model", CLI.tinyModel, "--isa", "both"])
        assertSuccess(r)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], r.stdoutText)
        let child = try XCTUnwrap(json["avx2"] as? [String: Any], "--isa both nests the AVX2-only run")
        let kernels = try XCTUnwrap(child["kernels"] as? [String])
        XCTAssertTrue(kernels.contains { $0.hasSuffix(":avx2") }, "\(kernels)")
        XCTAssertFalse(kernels.contains { $0.contains("avx512") }, "\(kernels)")
        XCTAssertGreaterThan(child["decode_fps"] as? Double ?? 0, 0)
        let text = try vtok(["bench", "--seconds", "0.1", "--size", "64x48", "--model", CLI.tinyModel, "--isa", "avx2"])
        assertSuccess(text)
        XCTAssertTrue(text.stdoutText.contains("isa: avx2"), text.stdoutText)
    }
}
