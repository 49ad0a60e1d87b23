// The engine against the PyTorch reference (training/fixtures.py): continuous latents within 1e-3, tokens
// identical except where the reference value lies within 1e-3 of a rounding boundary, decoded frames >= 50 dB.
// Every case runs once with each convolution backend (oneDNN, OpenBLAS).

import Foundation
import XCTest
@testable import VtokEngine

final class ParityTests: XCTestCase {
    func testTinyCase9() throws { try checkCase("case9", model: try Fixtures.tinyModel(), cases: try Fixtures.tinyCases()) }
    func testTinyCase11PartialFinalGroup() throws { try checkCase("case11", model: try Fixtures.tinyModel(), cases: try Fixtures.tinyCases()) }
    func testTinyCase1SingleImage() throws { try checkCase("case1", model: try Fixtures.tinyModel(), cases: try Fixtures.tinyCases()) }

    func testTinyD2Case9() throws { try checkCase("case9", model: try Fixtures.tinyModelD2(), cases: try Fixtures.tinyD2Cases()) }
    func testTinyD2Case11PartialFinalGroup() throws { try checkCase("case11", model: try Fixtures.tinyModelD2(), cases: try Fixtures.tinyD2Cases()) }
    func testTinyD2Case1SingleImage() throws { try checkCase("case1", model: try Fixtures.tinyModelD2(), cases: try Fixtures.tinyD2Cases()) }

    /// The released model on 9 frames of samples/sample.mp4 (Fixtures/release-cases.safetensors, written by
    /// `python fixtures.py --model ../models/vtok-4x8x8.safetensors --clip ../samples/sample.mp4`). Both files are
    /// committed, so a missing one fails. VTOK_RELEASE_MODEL and VTOK_RELEASE_CASES override both paths.
    func testReleaseModelClip() throws {
        let env = ProcessInfo.processInfo.environment
        let modelPath = env["VTOK_RELEASE_MODEL"]
            ?? Fixtures.packageRoot.appendingPathComponent("models/vtok-4x8x8.safetensors").path
        let casesPath = env["VTOK_RELEASE_CASES"] ?? Fixtures.url("release-cases.safetensors")?.path ?? ""
        guard FileManager.default.fileExists(atPath: modelPath), FileManager.default.fileExists(atPath: casesPath) else {
            return XCTFail("released model (\(modelPath)) or release-cases.safetensors (\(casesPath)) missing")
        }
        try checkCase("clip", model: try VtokModel(path: modelPath),
                      cases: try SafeTensors(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: casesPath)))))
    }

    private func checkCase(_ name: String, model: VtokModel, cases: SafeTensors) throws {
        try forEachComputeBackend { compute in
            try checkCase("\(name) [\(compute.backend.rawValue)]", key: name, model: model, cases: cases, compute: compute)
            // Every 3x3 layer by each Winograd rule (auto picks F(4x4) only from 16x16 up, larger than the fixture).
            for algorithm in [ConvAlgorithm.winograd, .winograd4x4] {
                var c = compute
                c.convAlgorithm = algorithm
                try checkCase("\(name) [\(compute.backend.rawValue), \(algorithm.rawValue)]", key: name, model: model,
                              cases: cases, compute: c)
            }
        }
    }

    private func checkCase(_ name: String, key: String, model: VtokModel, cases: SafeTensors, compute: ComputeOptions) throws {
        let frames = try cases.uint8s("\(key).frames")                   // (N, H, W, 3)
        let shape = try XCTUnwrap(cases.entries["\(key).frames"]?.shape)
        let (n, height, width) = (shape[0], shape[1], shape[2])
        let refLatents = try cases.floats("\(key).latents")               // (L, h, w, C)
        let refPrebound = try cases.floats("\(key).prebound")             // (L, h, w, C)
        let refTokens = try cases.int32s("\(key).tokens")                 // (L, h, w)
        let refDecoded = try cases.floats("\(key).decoded")               // (N, H, W, 3)
        let refDecodedC = try cases.floats("\(key).decoded_continuous")   // (N, H, W, 3)
        let frameSize = height * width * 3

        // Encode, streaming one frame at a time.
        let enc = try EncoderSession(model: model, width: width, height: height, emitContinuous: true, compute: compute)
        var latents: [EncodedLatent] = []
        for t in 0..<n { latents += try enc.push(frame: Array(frames[(t * frameSize)..<((t + 1) * frameSize)])) }
        latents += enc.finish()
        XCTAssertEqual(latents.count, 1 + (n - 1 + 3) / 4, name)
        XCTAssertEqual(latents.map(\.index), Array(0..<latents.count))
        XCTAssertEqual(latents.map(\.frameCount).reduce(0, +), n, "\(name): frame counts cover the input")

        let engineLatents = latents.flatMap { $0.latents ?? [] }
        XCTAssertEqual(engineLatents.count, refLatents.count)
        let latentErr = maxAbsDiff(engineLatents, refLatents)
        XCTAssertLessThan(latentErr, 1e-3, "\(name): continuous latents")

        let tokens = latents.flatMap(\.tokens)
        XCTAssertEqual(tokens.count, refTokens.count)
        let fsq = FSQ(levels: model.config.fsqLevels, eps: model.config.fsqEps)
        let c = model.config.latentChannels
        var differing = 0
        for i in 0..<min(tokens.count, refTokens.count) where Int(tokens[i]) != Int(refTokens[i]) {
            differing += 1
            // Every differing token must have a channel whose reference bounded value is within 1e-3 of x.5.
            let nearBoundary = (0..<c).contains { ch in
                let z = refPrebound[i * c + ch]
                let b = tanhf(z + fsq.shift[ch]) * fsq.halfL[ch] - fsq.offset[ch]
                return abs(abs(b - b.rounded(.down)) - 0.5) < 1e-3
            }
            XCTAssertTrue(nearBoundary, "\(name): token \(i) differs away from a rounding boundary")
        }
        XCTAssertLessThanOrEqual(Double(differing), 0.001 * Double(tokens.count), "\(name): tokens")

        // Decode the reference tokens and the reference continuous latents.
        let dec = try DecoderSession(model: model, width: width, height: height, emitFloat: true, compute: compute)
        let decoded = try dec.push(tokens: refTokens.map { UInt16(truncatingIfNeeded: $0) })
        XCTAssertEqual(decoded.map(\.index), Array(0..<decoded.count))
        let values = decoded.prefix(n).flatMap { $0.values ?? [] }
        let p = psnr(values, refDecoded)
        XCTAssertGreaterThanOrEqual(p, 50, "\(name): decoded from tokens")

        dec.reset()
        let decodedC = try dec.push(latents: refLatents)
        let pc = psnr(decodedC.prefix(n).flatMap { $0.values ?? [] }, refDecodedC)
        XCTAssertGreaterThanOrEqual(pc, 50, "\(name): decoded from continuous latents")

        // uint8 output is the clamped, rounded float output.
        if let first = decoded.first, let v = first.values {
            XCTAssertEqual(first.rgb, v.map(Rearrange.toByte))
        }
        print("parity \(name): latents max err \(latentErr), tokens differing \(differing)/\(tokens.count), "
              + "PSNR tokens \(String(format: "%.1f", p)) dB, continuous \(String(format: "%.1f", pc)) dB")
    }
}
