// Winograd F(2x2,3x3) and F(4x4,3x3) (WinogradConv) against the im2col + GEMM convolution (GemmConv): same causal
// conv, same past, frame sizes that are and are not multiples of the tile, kt 1..3, with and without a residual,
// several steps so the ring buffer is used; the whole models under each rule against the PyTorch fixtures (parity)
// and across thread counts; and the auto rule's choices.

import Dispatch
import XCTest
@testable import VtokEngine

final class WinogradTests: XCTestCase {
    private func randomWeights(cin: Int, cout: Int, kt: Int, seed: UInt64) -> ConvWeights {
        var s = seed | 1
        func next() -> Float { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return Float(Int(s % 2001) - 1000) / 1000 }
        let scale = 1 / Float(kt * 9 * cin).squareRoot()
        return ConvWeights(cin: cin, cout: cout, kt: kt, ks: 3,
                           weight: FloatBuffer((0..<(kt * 9 * cin * cout)).map { _ in next() * scale }),
                           bias: FloatBuffer((0..<cout).map { _ in next() * 0.1 }))
    }

    /// U = G g G^T, written here one (ci, co) at a time in double precision as the engine first did: the
    /// engine's version runs along co and must give the same bits (the tokens of every released stream hang on it).
    func testTransformedKernelsAreBitForBitTheReference() {
        for (cin, cout, kt) in [(5, 3, 2), (16, 24, 1), (7, 33, 3)] {
            let cw = randomWeights(cin: cin, cout: cout, kt: kt, seed: UInt64(cin * 31 + cout))
            for tile in WinogradTile.allCases {
                let u = WinogradConv.transformWeights(cw, tile: tile).array
                let alpha = tile.alpha, k = kt * cin, gm = tile.g
                var reference = [Float](repeating: .nan, count: alpha * alpha * k * cout)
                for dt in 0..<kt {
                    for ci in 0..<cin {
                        for co in 0..<cout {
                            let g = (0..<9).map { Double(cw.weight.data[((dt * 9 + $0) * cin + ci) * cout + co]) }
                            for i in 0..<alpha {
                                let l = (0..<3).map { j in gm[i][0] * g[j] + gm[i][1] * g[3 + j] + gm[i][2] * g[6 + j] }
                                for j in 0..<alpha {
                                    let v = l[0] * gm[j][0] + l[1] * gm[j][1] + l[2] * gm[j][2]
                                    reference[((i * alpha + j) * k + dt * cin + ci) * cout + co] = Float(v)
                                }
                            }
                        }
                    }
                }
                XCTAssertEqual(u.map(\.bitPattern), reference.map(\.bitPattern), "\(cin)->\(cout) kt \(kt) \(tile)")
            }
        }
    }

    func testMatchesDirectConvolution() throws {
        for (h, w, cin, cout, kt) in [(8, 8, 16, 16, 1), (7, 9, 5, 3, 2), (5, 6, 33, 20, 3), (1, 1, 4, 4, 2),
                                      (12, 10, 64, 48, 2), (13, 18, 40, 24, 2), (3, 2, 8, 8, 1)] {
            let cw = randomWeights(cin: cin, cout: cout, kt: kt, seed: UInt64(h * 131 + w * 7 + cin))
            for library in GemmLibrary.allCases {
              for tile in WinogradTile.allCases {
                let direct = GemmConv(cw, h: h, width: w, scratch: [FloatBuffer(count: GemmConv.scratchCount(cw, h: h, width: w))])
                let wino = WinogradConv(cw, h: h, width: w, tile: tile, library: library, workers: 2)
                let outA = FloatBuffer(count: h * w * cout), outB = FloatBuffer(count: h * w * cout)
                let res = FloatBuffer((0..<(h * w * cout)).map { Float($0 % 13) / 13 })
                for step in 0..<4 {
                    let frames = syntheticFrames(1, width: w, height: h * cin / 3 + 1, seed: step + 5)[0]
                    let x = FloatBuffer((0..<(h * w * cin)).map { Float(frames[$0]) / 127.5 - 1 })
                    let xf = Frame(h: h, w: w, c: cin, data: x.data)
                    let residual: Frame? = step % 2 == 1 ? Frame(h: h, w: w, c: cout, data: res.data) : nil
                    direct.forward(xf, into: Frame(h: h, w: w, c: cout, data: outA.data), residual: residual)
                    wino.forward(xf, into: Frame(h: h, w: w, c: cout, data: outB.data), residual: residual)
                    let err = maxAbsDiff(outA.array, outB.array)
                    // F(4x4)'s larger transform constants round about 10x more than F(2x2)'s.
                    XCTAssertLessThan(err, tile == .f2x2 ? 2e-5 : 1e-4, "\(h)x\(w) \(cin)->\(cout) kt \(kt) step \(step) \(library) \(tile)")
                }
                direct.reset(); wino.reset()
              }
            }
        }
    }

    func testModelsUnderWinogradMatchPyTorchAndThreads() throws {
        for (model, cases) in [(try Fixtures.tinyModel(), try Fixtures.tinyCases()), (try Fixtures.tinyModelD2(), try Fixtures.tinyD2Cases())] {
            let frames = try cases.uint8s("case9.frames"), refTokens = try cases.int32s("case9.tokens")
            let refDecoded = try cases.floats("case9.decoded")
            let (h, w) = (32, 48), size = h * w * 3
            for algorithm in [ConvAlgorithm.winograd, .winograd4x4] {
            var results: [[DecodedFrame]] = []
            for threads in [1, 2, 3] {
                let compute = ComputeOptions(threads: threads, convAlgorithm: algorithm)
                let enc = try EncoderSession(model: model, width: w, height: h, compute: compute)
                let prefix = algorithm == .winograd ? "winograd2x2" : "winograd4x4"
                XCTAssertTrue(enc.kernels.contains { $0.hasPrefix(prefix) }, "\(enc.kernels)")
                var latents: [EncodedLatent] = []
                for t in 0..<9 { latents += try enc.push(frame: Array(frames[(t * size)..<((t + 1) * size)])) }
                latents += enc.finish()
                let tokens = latents.flatMap(\.tokens)
                XCTAssertLessThanOrEqual(zip(tokens, refTokens).filter { Int($0) != Int($1) }.count, 1, "\(model.name) \(algorithm) tokens")
                let dec = try DecoderSession(model: model, width: w, height: h, emitFloat: true, compute: compute)
                let out = try dec.push(tokens: refTokens.map { UInt16(truncatingIfNeeded: $0) })
                XCTAssertGreaterThanOrEqual(psnr(out.prefix(9).flatMap { $0.values ?? [] }, refDecoded), 50, "\(model.name) \(algorithm)")
                results.append(out)
            }
            XCTAssertEqual(results[0], results[1], "thread count changes nothing")
            XCTAssertEqual(results[0], results[2])
            }
        }
    }

    func testAutoRulePicksByLayerShape() {
        let wide = randomWeights(cin: 256, cout: 256, kt: 2, seed: 1), narrow = randomWeights(cin: 16, cout: 16, kt: 1, seed: 2)
        let mid = randomWeights(cin: 128, cout: 192, kt: 1, seed: 3)
        let thin = randomWeights(cin: 32, cout: 32, kt: 2, seed: 4)
        for backend in ComputeBackend.allCases {
            XCTAssertEqual(ConvAlgorithm.auto.tile(wide, h: 32, width: 32, backend: backend), .f4x4)
            XCTAssertEqual(ConvAlgorithm.auto.tile(wide, h: 8, width: 32, backend: backend), .f2x2, "too few rows for 4x4 tiles")
            XCTAssertEqual(ConvAlgorithm.auto.tile(mid, h: 64, width: 64, backend: backend), .f4x4)
            XCTAssertEqual(ConvAlgorithm.auto.tile(mid, h: 64, width: 15, backend: backend), .f2x2)
            XCTAssertNil(ConvAlgorithm.auto.tile(narrow, h: 64, width: 64, backend: backend))
            XCTAssertNil(ConvAlgorithm.direct.tile(wide, h: 32, width: 32, backend: backend))
            XCTAssertEqual(ConvAlgorithm.winograd.tile(narrow, h: 64, width: 64, backend: backend), .f2x2)
            XCTAssertEqual(ConvAlgorithm.winograd4x4.tile(narrow, h: 4, width: 4, backend: backend), .f4x4)
        }
        // cout 32: Winograd, except where oneDNN's AVX-512 direct kernels win.
        XCTAssertEqual(ConvAlgorithm.auto.tile(thin, h: 128, width: 128, backend: .openblas), .f4x4)
        XCTAssertEqual(ConvAlgorithm.auto.tile(thin, h: 128, width: 128, backend: .onednn),
                       OneDNN.hasAVX512Kernels ? nil : .f4x4)
    }

    /// Sessions of one model share its transformed kernels (made once per layer and rule, also when sessions
    /// are created on several threads at once) and compute exactly what a session of a fresh model computes.
    func testSessionsShareTheTransformedKernels() throws {
        let model = try Fixtures.tinyModel(), fresh = try Fixtures.tinyModel()
        let compute = ComputeOptions(threads: 2, convAlgorithm: .winograd4x4)
        let (h, w) = (32, 48)
        let threes = model.convShapes(width: w, height: h).map(\.perLatent).reduce(0, +)   // 3x3 layers (no d2t)
        XCTAssertEqual(model.winogradWeights.count, 0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            _ = try? EncoderSession(model: model, width: w, height: h, compute: compute)
            _ = try? DecoderSession(model: model, width: w, height: h, compute: compute)
        }
        let made = model.winogradWeights.count
        XCTAssertEqual(made, threes, "one kernel per 3x3 layer, not per session")
        _ = try DecoderSession(model: model, width: w, height: h, compute: ComputeOptions(threads: 1, convAlgorithm: .winograd))
        XCTAssertGreaterThan(model.winogradWeights.count, made, "F(2x2) kernels are kept beside the F(4x4) ones")
        let tokens = (0..<(3 * (h / 8) * (w / 8))).map { UInt16(($0 * 7919) % 64000) }
        let a = try DecoderSession(model: model, width: w, height: h, compute: compute).push(tokens: tokens)
        let b = try DecoderSession(model: fresh, width: w, height: h, compute: compute).push(tokens: tokens)
        XCTAssertEqual(a, b)
    }
}
