// The hand-written kernels: exp accuracy, and the layout rearrangements being exact inverses; the GEMM wrappers
// of both libraries against a plain triple loop.

import Foundation
import XCTest
@testable import VtokEngine

final class KernelTests: XCTestCase {
    func testExpMatchesLibm() {
        var worst: Float = 0
        for i in -8700...8800 {
            let x = Float(i) / 100
            let ref = Foundation.exp(Double(x))
            worst = max(worst, Float(abs(Double(Elementwise.exp(x)) - ref) / ref))
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(Elementwise.siluScalar(0), 0)
        XCTAssertEqual(Elementwise.siluScalar(-200), 0, accuracy: 1e-30)
        XCTAssertEqual(Elementwise.siluScalar(200), 200)
    }

    func testSpaceToDepthRoundTripAndChannelOrder() {
        let (h, w, c, f) = (4, 6, 3, 2)
        let x = FloatBuffer((0..<(h * w * c)).map(Float.init))
        let y = FloatBuffer(count: h * w * c), z = FloatBuffer(count: h * w * c)
        let xf = Frame(h: h, w: w, c: c, data: x.data)
        let yf = Frame(h: h / f, w: w / f, c: c * f * f, data: y.data)
        Rearrange.spaceToDepth(xf, f: f, into: yf)
        // out (oy, ox, (ci*f + dy)*f + dx) = in (oy*f + dy, ox*f + dx, ci); check (0, 1, ci=2, dy=1, dx=0).
        XCTAssertEqual(y.data[(0 * 3 + 1) * 12 + (2 * f + 1) * f + 0], x.data[((0 + 1) * w + 2) * c + 2])
        Rearrange.depthToSpace(yf, f: f, into: Frame(h: h, w: w, c: c, data: z.data))
        XCTAssertEqual(z.array, x.array)
    }

    func testPatchifyThenUnpatchifyIsIdentity() {
        let (h, w, t, s) = (8, 12, 4, 4)
        let frames = syntheticFrames(t, width: w, height: h, seed: 9)
        let group = FloatBuffer(count: h * w * 3 * t)
        for dt in 0..<t {
            frames[dt].withUnsafeBufferPointer {
                Rearrange.patchifyFrame($0, height: h, width: w, t: t, s: s, dt: dt, into: group.data)
            }
        }
        let g = Frame(h: h / s, w: w / s, c: 3 * t * s * s, data: group.data)
        var rgb = [UInt8](repeating: 0, count: h * w * 3)
        for dt in 0..<t {
            rgb.withUnsafeMutableBufferPointer { p in
                if let base = p.baseAddress { Rearrange.unpatchifyFrame(g, t: t, s: s, dt: dt, rgb: base, floats: nil) }
            }
            XCTAssertEqual(rgb, frames[dt], "frame \(dt)")
        }
        XCTAssertEqual(Rearrange.toByte(-1), 0)
        XCTAssertEqual(Rearrange.toByte(1), 255)
        XCTAssertEqual(Rearrange.toByte(3), 255)
        XCTAssertEqual(Rearrange.toByte(.nan), 0)
    }

    func testGemmOfEachLibraryMatchesPlainLoop() {
        // Odd sizes (no vector-width multiples), beta 0 and 1 (the engine accumulates onto bias + residual).
        for (m, n, k) in [(1, 1, 1), (7, 5, 3), (33, 17, 65), (130, 64, 576)] {
            var state: UInt32 = 7
            func next() -> Float {
                state = state &* 1_664_525 &+ 1_013_904_223
                return Float(Int(state >> 20) - 2048) / 2048
            }
            let a = (0..<(m * k)).map { _ in next() }, b = (0..<(k * n)).map { _ in next() }
            let c0 = (0..<(m * n)).map { _ in next() }
            var want = [Double](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n { for p in 0..<k { want[i * n + j] += Double(a[i * k + p]) * Double(b[p * n + j]) } } }
            for backend in GemmLibrary.allCases {
                for beta: Float in [0, 1] {
                    var c = c0
                    Gemm.run(backend, m: m, n: n, k: k, a: a, b: b, c: &c, beta: beta)
                    var worst = 0.0
                    for i in 0..<(m * n) {
                        worst = max(worst, abs(Double(c[i]) - (want[i] + Double(beta) * Double(c0[i]))))
                    }
                    XCTAssertLessThan(worst, 1e-4 * Double(k), "\(backend) m \(m) n \(n) k \(k) beta \(beta)")
                }
            }
        }
    }
}
