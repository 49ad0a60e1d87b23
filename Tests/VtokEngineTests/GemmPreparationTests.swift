// oneDNN generates its sgemm kernels on its first call in a process (17-21 ms of a Zen 3 core); the first
// Winograd convolution built on oneDNN starts that call on another thread (Gemm.prepare), so that a session's
// first latent frame does not wait for it.
import XCTest
@testable import VtokEngine

final class GemmPreparationTests: XCTestCase {
    func testBuildingAWinogradSessionOnOneDNNPreparesItsSGEMM() throws {
        let model = try Fixtures.tinyModel()
        let compute = ComputeOptions(backend: .onednn, threads: 2, convAlgorithm: .winograd)
        let session = try EncoderSession(model: model, width: 64, height: 48, compute: compute)
        XCTAssertTrue(session.kernels.contains { $0.contains("dnnl_sgemm") }, "\(session.kernels)")
        XCTAssertTrue(Gemm.oneDNNPreparationStarted, "no Winograd conv on oneDNN started the preparation")
        XCTAssertTrue(Gemm.oneDNNPrepared, "the preparation's product (2x3 by 3x2) was wrong or dnnl_sgemm failed")
        // The session computes as before once the preparation is done, and after it.
        let frame = [UInt8](repeating: 128, count: 64 * 48 * 3)
        XCTAssertEqual(try session.push(frame: frame).count, 1)
        // And the library's GEMM still gives the right product on this thread.
        let a: [Float] = [1, 2], b: [Float] = [3, 4]
        var c: [Float] = [0]
        Gemm.run(.onednn, m: 1, n: 1, k: 2, a: a, b: b, c: &c, beta: 0)
        XCTAssertEqual(c, [11])
    }
}
