// The C interface (VtokC) called as a C host would: statuses for bad calls, nothing consumed on a failed push,
// and the same tokens and frames as the engine's sessions used directly. Uses the tiny test model (48x32 frames).
import Foundation
import VtokC
import VtokEngine
import XCTest

final class CInterfaceTests: XCTestCase {
    static let tinyModelPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("VtokEngineTests/Fixtures/tiny-model.safetensors").path
    let (w, h, grid) = (48, 32, 4 * 6)

    func loadModel() throws -> OpaquePointer {
        var m: OpaquePointer?
        XCTAssertEqual(vtok_model_load(Self.tinyModelPath, &m), 0, String(cString: vtok_last_error()))
        return try XCTUnwrap(m)
    }

    func frames(_ n: Int) -> [UInt8] {
        (0..<(n * h * w * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 97) }
    }

    func testLoadFailuresAreStatusesWithMessages() throws {
        var m: OpaquePointer?
        XCTAssertEqual(vtok_model_load(nil, &m), 1)
        XCTAssertNil(m)
        XCTAssertEqual(vtok_model_load("/nonexistent/model.safetensors", &m), 2)
        XCTAssertTrue(String(cString: vtok_last_error()).contains("cannot read"))
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("vtokc-junk-\(getpid()).safetensors")
        try Data(repeating: 0xff, count: 64).write(to: junk)
        defer { try? FileManager.default.removeItem(at: junk) }
        XCTAssertEqual(vtok_model_load(junk.path, &m), 3)
        XCTAssertNil(m)
        XCTAssertEqual(vtok_model_load(Self.tinyModelPath, nil), 1)
    }

    func testModelInfo() throws {
        let m = try loadModel()
        defer { vtok_model_free(m) }
        let model = try VtokModel(path: Self.tinyModelPath)
        XCTAssertEqual(String(cString: vtok_model_name(m)), model.name)
        XCTAssertEqual(String(cString: vtok_model_sha256(m)), model.sha256Hex)
        var levels = [Int32](repeating: 0, count: 3)
        XCTAssertEqual(vtok_model_levels(m, &levels, 3), 6)        // only 3 copied
        XCTAssertEqual(levels, [8, 8, 8])
        XCTAssertEqual(vtok_model_vocabulary_size(m), 64000)
        XCTAssertEqual(vtok_model_temporal_factor(nil), -1)
    }

    func testTokensAndFramesEqualTheEngineSessions() throws {
        let m = try loadModel()
        var enc: OpaquePointer?, dec: OpaquePointer?
        XCTAssertEqual(vtok_encoder_create(m, Int32(w), Int32(h), 1, 1, &enc), 0)
        XCTAssertEqual(vtok_decoder_create(m, Int32(w), Int32(h), 1, 1, &dec), 0)
        vtok_model_free(m)                                           // the sessions keep the weights
        defer { vtok_encoder_free(enc); vtok_decoder_free(dec) }
        let input = frames(7)
        var tokens = [UInt16](repeating: 0, count: 3 * grid), counts = [Int32](repeating: 0, count: 3)
        var n: Int64 = 0
        XCTAssertEqual(vtok_encoder_push(enc, input, 7, &tokens, 3, &n, &counts), 0)
        XCTAssertEqual(n, 2)
        try tokens.withUnsafeMutableBufferPointer { t in
            try counts.withUnsafeMutableBufferPointer { c in
                XCTAssertEqual(vtok_encoder_finish(enc, try XCTUnwrap(t.baseAddress) + 2 * grid, 1, &n,
                                                   try XCTUnwrap(c.baseAddress) + 2), 0)
            }
        }
        XCTAssertEqual(n, 1)
        XCTAssertEqual(counts, [1, 4, 2])

        let model = try VtokModel(path: Self.tinyModelPath)
        let session = try EncoderSession(model: model, width: w, height: h, compute: ComputeOptions(backend: .openblas))
        var want: [UInt16] = []
        for i in 0..<7 { for l in try session.push(frame: Array(input[(i * h * w * 3)..<((i + 1) * h * w * 3)])) { want += l.tokens } }
        for l in session.finish() { want += l.tokens }
        XCTAssertEqual(tokens, want)

        var out = [UInt8](repeating: 0, count: 9 * h * w * 3)
        XCTAssertEqual(vtok_decoder_frames_for(dec, 3), 9)
        XCTAssertEqual(vtok_decoder_push(dec, tokens, 3, &out, 9, &n), 0)
        XCTAssertEqual(n, 9)
        let decoder = try DecoderSession(model: model, width: w, height: h, compute: ComputeOptions(backend: .openblas))
        XCTAssertEqual(out, try decoder.push(tokens: tokens).flatMap(\.rgb))
    }

    func testFailedCallsConsumeNothing() throws {
        let m = try loadModel()
        defer { vtok_model_free(m) }
        var enc: OpaquePointer?, dec: OpaquePointer?
        XCTAssertEqual(vtok_encoder_create(m, 50, 32, 1, 1, &enc), 4)
        XCTAssertEqual(vtok_encoder_create(m, 48, 32, 2, 1, &enc), 1)
        XCTAssertEqual(vtok_encoder_create(m, 48, 32, 1, -1, &enc), 1)
        XCTAssertNil(enc)
        XCTAssertEqual(vtok_encoder_create(m, 48, 32, 1, 1, &enc), 0)
        XCTAssertEqual(vtok_decoder_create(m, 48, 32, 1, 1, &dec), 0)
        defer { vtok_encoder_free(enc); vtok_decoder_free(dec) }
        var tokens = [UInt16](repeating: 0, count: 2 * grid), n: Int64 = 0
        let input = frames(6)
        XCTAssertEqual(vtok_encoder_push(enc, input, 6, &tokens, 1, &n, nil), 9)    // room for 1 of 2 latents
        XCTAssertEqual(vtok_encoder_frames_in(enc), 0)
        XCTAssertEqual(vtok_encoder_push(enc, input, Int64.max, &tokens, 2, &n, nil), 1)
        XCTAssertEqual(vtok_encoder_push(enc, nil, 1, &tokens, 2, &n, nil), 1)
        XCTAssertEqual(vtok_encoder_push(enc, input, 6, &tokens, 2, nil, nil), 1)
        XCTAssertEqual(vtok_encoder_push(nil, input, 6, &tokens, 2, &n, nil), 1)
        XCTAssertEqual(vtok_encoder_frames_in(enc), 0)
        XCTAssertEqual(vtok_encoder_push(enc, input, 6, &tokens, 2, &n, nil), 0)
        XCTAssertEqual(vtok_encoder_finish(enc, nil, 0, &n, nil), 9)                // a partial group waits
        XCTAssertEqual(vtok_encoder_finish(enc, &tokens, 2, &n, nil), 0)
        XCTAssertEqual(vtok_encoder_push(enc, input, 1, &tokens, 2, &n, nil), 7)
        XCTAssertEqual(vtok_encoder_reset(enc), 0)
        XCTAssertEqual(vtok_encoder_frames_in(enc), 0)

        var bad = [UInt16](repeating: 0, count: 2 * grid)
        bad[2 * grid - 1] = 64000
        var out = [UInt8](repeating: 0, count: 5 * h * w * 3)
        XCTAssertEqual(vtok_decoder_push(dec, bad, 2, &out, 5, &n), 6)              // checked before any is used
        XCTAssertTrue(String(cString: vtok_last_error()).contains("64000"))
        XCTAssertEqual(vtok_decoder_push(dec, tokens, 2, &out, 4, &n), 9)            // 2 latents give 5 frames
        XCTAssertEqual(vtok_decoder_latents_in(dec), 0)
        XCTAssertEqual(vtok_decoder_push(dec, tokens, 2, &out, 5, &n), 0)
        XCTAssertEqual(n, 5)
    }

    func testLastErrorIsPerThread() throws {
        XCTAssertEqual(vtok_model_load("/nonexistent/a", nil), 1)
        let mine = String(cString: vtok_last_error())
        let other = Thread {
            var m: OpaquePointer?
            _ = vtok_model_load("/nonexistent/b", &m)
        }
        other.start()
        while !other.isFinished { usleep(1000) }
        XCTAssertEqual(String(cString: vtok_last_error()), mine)
    }
}
