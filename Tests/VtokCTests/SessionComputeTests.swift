// Per-session compute through the C interface: each vtok_*_create keeps its own backend and threads (an engine
// ComputeOptions value), sessions with different threads run side by side with identical results, and a C
// session changes nothing for engine sessions the host creates itself.
import Dispatch
import Foundation
import VtokC
import VtokEngine
import XCTest

final class SessionComputeTests: XCTestCase {
    let (w, h, grid) = (48, 32, 4 * 6)

    private func frames(_ n: Int) -> [UInt8] {
        (0..<(n * h * w * 3)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 / 89) }
    }

    /// Tokens of 9 frames and the frames decoded from them, through C sessions with these arguments.
    private static func roundTrip(_ model: OpaquePointer, backend: Int32, threads: Int32, input: [UInt8],
                                  w: Int, h: Int, grid: Int) -> (tokens: [UInt16], frames: [UInt8])? {
        var enc: OpaquePointer?, dec: OpaquePointer?
        guard vtok_encoder_create(model, Int32(w), Int32(h), backend, threads, &enc) == 0,
              vtok_decoder_create(model, Int32(w), Int32(h), backend, threads, &dec) == 0 else { return nil }
        defer { vtok_encoder_free(enc); vtok_decoder_free(dec) }
        var tokens = [UInt16](repeating: 0, count: 3 * grid), n: Int64 = 0, more: Int64 = 0
        guard vtok_encoder_push(enc, input, 9, &tokens, 3, &n, nil) == 0, n == 3 else { return nil }
        guard vtok_encoder_finish(enc, nil, 0, &more, nil) == 0, more == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: 9 * h * w * 3)
        guard vtok_decoder_push(dec, tokens, 3, &out, 9, &n) == 0, n == 9 else { return nil }
        return (tokens, out)
    }

    func testSessionsWithDifferentThreadsAgreeSideBySide() throws {
        var m: OpaquePointer?
        XCTAssertEqual(vtok_model_load(CInterfaceTests.tinyModelPath, &m), 0, String(cString: vtok_last_error()))
        let model = try XCTUnwrap(m)
        defer { vtok_model_free(model) }
        let input = frames(9)
        let (w, h, grid) = (w, h, grid)
        for backend: Int32 in [0, 1] {
            let alone = try XCTUnwrap(Self.roundTrip(model, backend: backend, threads: 1, input: input, w: w, h: h, grid: grid))
            let results = Outcomes(), handle = Handle(model)
            DispatchQueue.concurrentPerform(iterations: 3) { i in
                results.set(i, Self.roundTrip(handle.pointer, backend: backend, threads: Int32([1, 3, 0][i]), input: input,
                                              w: w, h: h, grid: grid))
            }
            for i in 0..<3 {
                let r = try XCTUnwrap(results.get(i), "backend \(backend), session \(i): \(String(cString: vtok_last_error()))")
                XCTAssertEqual(r.tokens, alone.tokens, "backend \(backend), threads \([1, 3, 0][i])")
                XCTAssertEqual(r.frames, alone.frames, "backend \(backend), threads \([1, 3, 0][i])")
            }
        }
    }

    func testACSessionLeavesTheHostsDefaultsAlone() throws {
        var m: OpaquePointer?, enc: OpaquePointer?
        XCTAssertEqual(vtok_model_load(CInterfaceTests.tinyModelPath, &m), 0)
        defer { vtok_model_free(m) }
        XCTAssertEqual(vtok_encoder_create(m, Int32(w), Int32(h), 1, 2, &enc), 0)          // openblas, 2 threads
        defer { vtok_encoder_free(enc) }
        let session = try EncoderSession(model: try VtokModel(path: CInterfaceTests.tinyModelPath), width: w, height: h)
        XCTAssertEqual(session.compute, .default)
        XCTAssertFalse(session.kernels.contains("im2col+sgemm"), "\(session.kernels)")
    }

    private struct Handle: @unchecked Sendable {      // a vtok_model is immutable and shareable (vtok.h)
        let pointer: OpaquePointer
        init(_ p: OpaquePointer) { pointer = p }
    }

    private final class Outcomes: @unchecked Sendable {      // under `lock`
        private let lock = NSLock()
        private var values: [Int: (tokens: [UInt16], frames: [UInt8])] = [:]
        func set(_ i: Int, _ r: (tokens: [UInt16], frames: [UInt8])?) { lock.withLock { values[i] = r } }
        func get(_ i: Int) -> (tokens: [UInt16], frames: [UInt8])? { lock.withLock { values[i] } }
    }
}
