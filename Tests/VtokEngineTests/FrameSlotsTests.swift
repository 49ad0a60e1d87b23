// The encoder's first conv run by frame slot (FrameSlots.swift): each frame's share of it as the frame arrives,
// summed in a fixed order. Against the same conv run on the whole group after its last frame: the same latents
// up to the sum's order (the last bits), on every backend and 3x3 algorithm, for a first group, full groups and
// a partial last group; and the split really happens for the models that have such a first conv.
import XCTest
@testable import VtokEngine

final class FrameSlotsTests: XCTestCase {
    private func encode(_ model: VtokModel, _ frames: [[UInt8]], width: Int, height: Int, compute: ComputeOptions,
                        slots: Bool) throws -> [EncodedLatent] {
        let s = try EncoderSession(model: model, width: width, height: height, emitContinuous: true, compute: compute,
                                   frameSlots: slots)
        XCTAssertEqual(s.graphRunsFrameSlots, slots && model.encoderFrameSlots != nil)
        var out: [EncodedLatent] = []
        for f in frames { out += try s.push(frame: f) }
        return out + s.finish()
    }

    func testSlotsGiveTheWholeConvsLatents() throws {
        let model = try Fixtures.tinyModel()
        XCTAssertEqual(model.encoderFrameSlots?.convs.count, 4, "the tiny model's first conv (kt 1) is split in 4")
        let (w, h) = (64, 48)
        let clip = syntheticFrames(11, width: w, height: h, seed: 7)          // latents 0 (frame 0), 1, 2 and a partial 3
        for backend in [ComputeBackend.onednn, .openblas] {
            for algorithm in [ConvAlgorithm.direct, .winograd, .winograd4x4] {
                let compute = ComputeOptions(backend: backend, threads: 2, convAlgorithm: algorithm)
                let split = try encode(model, clip, width: w, height: h, compute: compute, slots: true)
                let whole = try encode(model, clip, width: w, height: h, compute: compute, slots: false)
                XCTAssertEqual(split.map(\.index), [0, 1, 2, 3])
                XCTAssertEqual(split.map(\.frameCount), whole.map(\.frameCount))
                var worst: Float = 0, differing = 0, tokens = 0
                for (a, b) in zip(split, whole) {
                    let za = try XCTUnwrap(a.latents), zb = try XCTUnwrap(b.latents)
                    XCTAssertEqual(za.count, zb.count)
                    worst = max(worst, maxAbsDiff(za, zb))
                    differing += zip(a.tokens, b.tokens).filter { $0 != $1 }.count
                    tokens += a.tokens.count
                }
                XCTAssertLessThan(worst, 1e-4, "\(backend) \(algorithm): latents differ by \(worst)")
                XCTAssertLessThanOrEqual(differing, tokens / 100, "\(backend) \(algorithm): \(differing) tokens differ")
            }
        }
    }

    func testResetInTheMiddleOfAGroupStartsAFreshSum() throws {
        let model = try Fixtures.tinyModel()
        let (w, h) = (64, 48)
        let clip = syntheticFrames(10, width: w, height: h, seed: 11)
        let s = try EncoderSession(model: model, width: w, height: h, emitContinuous: true)
        var reference = try s.push(frames: clip)
        reference += s.finish()
        s.reset()
        _ = try s.push(frames: Array(clip[3..<9]))            // a full group, then two frames of the next
        s.reset()
        var again = try s.push(frames: clip)
        again += s.finish()
        XCTAssertEqual(again, reference)
    }
}
