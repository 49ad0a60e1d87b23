// Causal streaming invariants: any chunking gives bit-identical output; the future never changes the past.

import XCTest
@testable import VtokEngine

final class InvarianceTests: XCTestCase {
    let width = 48, height = 32

    private func encode(_ model: VtokModel, _ frames: [[UInt8]], plan: [Int],
                        compute: ComputeOptions = .default) throws -> [EncodedLatent] {
        let enc = try EncoderSession(model: model, width: width, height: height, emitContinuous: true, compute: compute)
        var out: [EncodedLatent] = []
        for chunk in chunks(frames, plan) { out += try enc.push(frames: chunk) }
        return out + enc.finish()
    }

    func testEncoderChunkingIsBitIdentical() throws {
        let model = try Fixtures.tinyModel()
        try forEachComputeBackend { compute in
            let backend = compute.backend
            for n in [13, 11] {
                let frames = syntheticFrames(n, width: width, height: height, seed: n)
                let reference = try encode(model, frames, plan: [1], compute: compute)
                XCTAssertEqual(reference.count, 1 + (n - 1 + 3) / 4)
                for plan in [[1, 4, 4, 4], [1, 12], [5, 8], [n], [2, 3, 1, 7], [3, 3, 3, 3, 3]] {
                    XCTAssertEqual(try encode(model, frames, plan: plan, compute: compute), reference, "\(backend) n \(n), plan \(plan)")
                }
            }
        }
    }

    func testFutureFramesNeverChangeThePast() throws {
        let model = try Fixtures.tinyModel()
        let a = syntheticFrames(13, width: width, height: height, seed: 1)
        for t in [1, 5, 6, 9] {
            var b = a
            for i in t..<b.count { b[i] = syntheticFrames(1, width: width, height: height, seed: 100 + i)[0] }
            let ea = try encode(model, a, plan: [1]), eb = try encode(model, b, plan: [1])
            // Latents covering only frames < t are unchanged.
            let complete = ea.filter { $0.firstFrame + $0.frameCount <= t }
            XCTAssertFalse(complete.isEmpty)
            for l in complete { XCTAssertEqual(l, eb[l.index], "t \(t) latent \(l.index)") }
            XCTAssertNotEqual(ea.last?.tokens, eb.last?.tokens)
        }
    }

    func testThreadCountNeverChangesResults() throws {
        let model = try Fixtures.tinyModel()
        let (width, height) = (256, 128)                    // large enough for several bands per conv
        let frames = syntheticFrames(5, width: width, height: height, seed: 4)
        try forEachComputeBackend { compute in
            let backend = compute.backend
            var results: [[EncodedLatent]] = []
            var decoded: [[DecodedFrame]] = []
            for threads in [1, 2, 3] {
                var compute = compute
                compute.threads = threads
                let enc = try EncoderSession(model: model, width: width, height: height, emitContinuous: true, compute: compute)
                let latents = try enc.push(frames: frames) + enc.finish()
                results.append(latents)
                decoded.append(try DecoderSession(model: model, width: width, height: height, compute: compute)
                    .push(tokens: latents.flatMap(\.tokens)))
            }
            for i in 1..<results.count {
                XCTAssertEqual(results[0], results[i], "\(backend)")
                XCTAssertEqual(decoded[0], decoded[i], "\(backend)")
            }
        }
    }

    func testResetRestartsTheStream() throws {
        let model = try Fixtures.tinyModel()
        let frames = syntheticFrames(6, width: width, height: height, seed: 3)
        let enc = try EncoderSession(model: model, width: width, height: height)
        let first = try enc.push(frames: frames) + enc.finish()
        XCTAssertThrowsError(try enc.push(frame: frames[0])) { XCTAssertEqual($0 as? EngineError, .streamFinished) }
        enc.reset()
        XCTAssertEqual(enc.framesIn, 0)
        XCTAssertEqual(try enc.push(frames: frames) + enc.finish(), first)
        XCTAssertEqual(first.map(\.firstFrame), [0, 1, 5])
        XCTAssertEqual(first.map(\.frameCount), [1, 4, 1])
    }

    func testDecoderChunkingAndCausality() throws {
        let model = try Fixtures.tinyModel()
        let latents = try encode(model, syntheticFrames(13, width: width, height: height, seed: 7), plan: [13])
        let tokens = latents.map(\.tokens)
        let dec = try DecoderSession(model: model, width: width, height: height)
        let all = try dec.push(tokens: tokens.flatMap { $0 })
        XCTAssertEqual(all.map(\.index), Array(0..<13))
        for plan in [[1], [2, 2], [3, 1]] {
            dec.reset()
            var out: [DecodedFrame] = []
            for chunk in chunks(tokens, plan) { out += try dec.push(tokens: chunk.flatMap { $0 }) }
            XCTAssertEqual(out, all, "plan \(plan)")
        }
        // Changing latent 3 leaves every frame of latents 0...2 unchanged.
        var changed = tokens
        changed[3] = changed[3].map { ($0 &+ 17) % 64000 }
        dec.reset()
        let other = try dec.push(tokens: changed.flatMap { $0 })
        XCTAssertEqual(Array(other.prefix(9)), Array(all.prefix(9)))
        XCTAssertNotEqual(Array(other.suffix(4)), Array(all.suffix(4)))
        // Continuous latents decode with the same chunking invariance.
        dec.reset()
        let cont = try dec.push(latents: latents.flatMap { $0.latents ?? [] })
        dec.reset()
        var cont2: [DecodedFrame] = []
        for l in latents { cont2 += try dec.push(latents: l.latents ?? []) }
        XCTAssertEqual(cont, cont2)
    }

    func testSessionInputErrors() throws {
        let model = try Fixtures.tinyModel()
        XCTAssertThrowsError(try EncoderSession(model: model, width: 30, height: 32)) {
            XCTAssertEqual($0 as? EngineError, .badFrameSize(width: 30, height: 32, multiple: 8))
        }
        XCTAssertThrowsError(try DecoderSession(model: model, width: 0, height: 32)) {
            XCTAssertEqual($0 as? EngineError, .badFrameSize(width: 0, height: 32, multiple: 8))
        }
        let enc = try EncoderSession(model: model, width: width, height: height)
        XCTAssertThrowsError(try enc.push(frame: [UInt8](repeating: 0, count: 10))) {
            XCTAssertEqual($0 as? EngineError, .wrongInputLength(expected: width * height * 3, found: 10))
        }
        let dec = try DecoderSession(model: model, width: width, height: height)
        XCTAssertThrowsError(try dec.push(tokens: [UInt16](repeating: 64000, count: 24))) {
            XCTAssertEqual($0 as? EngineError, .tokenOutOfRange(64000))
        }
        XCTAssertThrowsError(try dec.push(tokens: [1, 2, 3]))
        XCTAssertThrowsError(try dec.push(latents: []))
        XCTAssertEqual(dec.latentsIn, 0)
    }

    func testFlopsFromConfig() throws {
        let model = try Fixtures.tinyModel()
        let f = model.flops(width: 256, height: 256)
        XCTAssertGreaterThan(f.encoder, 0)
        XCTAssertGreaterThan(f.decoder, 0)
        // enc.conv_in alone: 2 * (64*64) * (9*192) * 16 per latent, / 4 per frame.
        XCTAssertGreaterThan(f.encoder, 2.0 * 4096 * 1728 * 16 / 4)
    }
}
