// The version-2 decoder ops (d2t: several decoder steps per latent) and the encoder identity that lets a new
// decoder read streams an older file wrote. Parity with PyTorch is in ParityTests (testTinyD2*).

import XCTest
@testable import VtokEngine

final class DecoderV2Tests: XCTestCase {
    private let width = 48, height = 32

    func testGraphShape() throws {
        let m = try Fixtures.tinyModelD2()
        XCTAssertEqual(m.config.version, 2)
        XCTAssertEqual(m.decoderTimeSteps, 4)
        XCTAssertEqual(m.unpatchify.t, 1)
        XCTAssertEqual(m.unpatchify.s, 2)
        // Ops after the first d2t count twice, after the second four times: more than the v1 formula gives.
        let f = m.flops(width: 256, height: 256)
        // dec.res2 alone: 4 steps x 2 * (128*128) * (2*9*8 + 9*8) * 8 per latent, / 4 per frame.
        XCTAssertGreaterThan(f.decoder, 4 * 2.0 * 16384 * 216 * 8 / 4)
    }

    func testDecoderChunkingThreadsAndCausality() throws {
        let model = try Fixtures.tinyModelD2()
        let enc = try EncoderSession(model: model, width: width, height: height, emitContinuous: true)
        var latents: [EncodedLatent] = []
        for f in syntheticFrames(14, width: width, height: height, seed: 3) { latents += try enc.push(frame: f) }
        latents += enc.finish()
        let tokens = latents.map(\.tokens)
        let dec = try DecoderSession(model: model, width: width, height: height)
        let all = try dec.push(tokens: tokens.flatMap { $0 })
        XCTAssertEqual(all.map(\.index), Array(0..<(1 + 4 * (tokens.count - 1))))
        for plan in [[1], [2, 1], [3, 2]] {
            dec.reset()
            var out: [DecodedFrame] = []
            for chunk in chunks(tokens, plan) { out += try dec.push(tokens: chunk.flatMap { $0 }) }
            XCTAssertEqual(out, all, "plan \(plan)")
        }
        for threads in [1, 3] {
            let d = try DecoderSession(model: model, width: width, height: height, compute: ComputeOptions(threads: threads))
            XCTAssertEqual(try d.push(tokens: tokens.flatMap { $0 }), all, "\(threads) threads")
        }
        // Changing latent 2 leaves frames 0...4 (latents 0 and 1) unchanged and changes later ones.
        var changed = tokens
        changed[2] = changed[2].map { ($0 &+ 17) % 64000 }
        dec.reset()
        let other = try dec.push(tokens: changed.flatMap { $0 })
        XCTAssertEqual(Array(other.prefix(5)), Array(all.prefix(5)))
        XCTAssertNotEqual(Array(other[5..<9]), Array(all[5..<9]))
        // The 4 frames of a group come from 4 decoder steps: they differ from each other.
        XCTAssertNotEqual(all[5].rgb, all[6].rgb)
    }

    func testEncoderIdentity() throws {
        let v1 = try Fixtures.tinyModel(), v2 = try Fixtures.tinyModelD2()
        XCTAssertEqual(v1.encoderSHA256.count, 32)
        XCTAssertEqual(v1.encoderSHA256, v2.encoderSHA256, "same encoder tensors, same identity")
        XCTAssertNotEqual(v1.sha256, v2.sha256)
        // Python wrote the identity into the d2 file's metadata; the engine computed the same bytes.
        XCTAssertEqual(v2.metadata["vtok_encoder_sha256"], v2.encoderSHA256Hex)
        XCTAssertTrue(v2.readsWeightsSHA256.contains(v1.sha256))
        // 1.1 streams name the encoder; 1.0 streams name the weights file.
        XCTAssertTrue(v2.decodes(encoderSHA256: v1.encoderSHA256, weightsSHA256: v1.sha256))
        XCTAssertTrue(v2.decodes(encoderSHA256: nil, weightsSHA256: v1.sha256))
        XCTAssertTrue(v1.decodes(encoderSHA256: nil, weightsSHA256: v1.sha256))
        XCTAssertFalse(v1.decodes(encoderSHA256: nil, weightsSHA256: v2.sha256), "v1 does not declare v2's file")
        XCTAssertFalse(v2.decodes(encoderSHA256: [UInt8](repeating: 7, count: 32), weightsSHA256: v1.sha256))
        XCTAssertTrue(v2.decodes(encoderSHA256: [UInt8](repeating: 0, count: 32), weightsSHA256: [UInt8](repeating: 0, count: 32)),
                      "all-zero identities are unknown: accepted")
        if let released = try? VtokModel(path: Fixtures.packageRoot.appendingPathComponent("models/vtok-4x8x8.safetensors").path) {
            XCTAssertNotEqual(released.encoderSHA256, v1.encoderSHA256)
        }
    }

    func testDeclaredIdentityIsChecked() throws {
        var bytes = try Fixtures.bytes("tiny-model-d2.safetensors")
        let hex = Array(try Fixtures.tinyModelD2().encoderSHA256Hex.utf8)
        // Flip one hex digit of vtok_encoder_sha256 inside the JSON header (same length, still valid JSON).
        guard let at = bytes.firstRange(of: hex)?.lowerBound else { return XCTFail("identity not in the header") }
        bytes[at] = bytes[at] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        XCTAssertThrowsError(try VtokModel(bytes: bytes)) { error in
            guard case .badConfig = error as? WeightsError else { return XCTFail("\(error)") }
        }
    }
}
