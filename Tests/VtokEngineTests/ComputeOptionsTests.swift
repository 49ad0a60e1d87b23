// ComputeOptions: each session computes with the value it was created with, whatever other sessions in the
// process were given (no process-wide setting), and threads never change results.

import Dispatch
import XCTest
@testable import VtokEngine

final class ComputeOptionsTests: XCTestCase {
    let width = 256, height = 128                            // several bands per conv

    func testDefaultsAreTheAvailableCoresOneDNNAndAuto() {
        let d = ComputeOptions.default
        XCTAssertEqual(d.threads, Compute.availableCores)
        XCTAssertEqual(d.backend, .onednn)
        XCTAssertEqual(d.convAlgorithm, .auto)
        XCTAssertEqual(ComputeOptions(threads: 0).threads, 1, "at least one worker")
        var o = ComputeOptions(threads: 3)
        o.threads = -2
        XCTAssertEqual(o.threads, 1)
    }

    func testEachSessionKeepsItsOwnOptions() throws {
        let model = try Fixtures.tinyModel()
        let a = ComputeOptions(backend: .openblas, threads: 1, convAlgorithm: .direct)
        let b = ComputeOptions(backend: .onednn, threads: 3, convAlgorithm: .winograd)
        // Created interleaved: b's creation must not change a's session, nor a later one made with a.
        let encA = try EncoderSession(model: model, width: width, height: height, compute: a)
        let encB = try EncoderSession(model: model, width: width, height: height, compute: b)
        let decA = try DecoderSession(model: model, width: width, height: height, compute: a)
        XCTAssertEqual(encA.compute, a)
        XCTAssertEqual(encB.compute, b)
        XCTAssertEqual(encA.workers, 1)
        XCTAssertEqual(encB.workers, 3)
        XCTAssertEqual(decA.workers, 1)
        XCTAssertEqual(encA.kernels, ["im2col+sgemm"])
        XCTAssertEqual(decA.kernels, ["im2col+sgemm"])
        XCTAssertTrue(encB.kernels.contains("winograd2x2+dnnl_sgemm"), "\(encB.kernels)")
        XCTAssertFalse(encB.kernels.contains("im2col+sgemm"), "\(encB.kernels)")
        let plain = try EncoderSession(model: model, width: width, height: height)
        XCTAssertEqual(plain.compute, .default, "no option leaks from one session into the next")
        XCTAssertFalse(plain.kernels.contains("im2col+sgemm"), "\(plain.kernels)")
    }

    func testSessionsWithDifferentThreadsInOneProcessAgree() throws {
        let model = try Fixtures.tinyModel()
        let frames = syntheticFrames(9, width: width, height: height, seed: 13)
        for backend in ComputeBackend.allCases {
            let one = ComputeOptions(backend: backend, threads: 1), three = ComputeOptions(backend: backend, threads: 3)
            let sequential = try Self.run(Input(model: model, frames: frames, width: width, height: height), one)
            // Both at once, on two threads of their own: neither's options reach the other.
            let results = Results(), input = Input(model: model, frames: frames, width: width, height: height)
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                results.set(i, Result { try Self.run(input, i == 0 ? one : three) })
            }
            let (r1, r3) = (try results.get(0), try results.get(1))
            XCTAssertEqual(r1.latents, sequential.latents, "\(backend): 1 thread, alone and beside another session")
            XCTAssertEqual(r3.latents, sequential.latents, "\(backend): 3 threads against 1")
            XCTAssertEqual(r3.frames, sequential.frames, "\(backend): decoded frames, 3 threads against 1")
            XCTAssertEqual(r1.workers, 1)
            XCTAssertEqual(r3.workers, 3)
        }
    }

    private struct Run: Sendable {
        var latents: [EncodedLatent]
        var frames: [DecodedFrame]
        var workers: Int
    }

    /// What both threads read; VtokModel is immutable after init.
    private struct Input: @unchecked Sendable {
        let model: VtokModel
        let frames: [[UInt8]]
        let width: Int, height: Int
    }

    private static func run(_ input: Input, _ compute: ComputeOptions) throws -> Run {
        let (model, frames, width, height) = (input.model, input.frames, input.width, input.height)
        let enc = try EncoderSession(model: model, width: width, height: height, emitContinuous: true, compute: compute)
        var latents: [EncodedLatent] = []
        for f in frames { latents += try enc.push(frame: f) }
        latents += enc.finish()
        let dec = try DecoderSession(model: model, width: width, height: height, compute: compute)
        return Run(latents: latents, frames: try dec.push(tokens: latents.flatMap(\.tokens)), workers: dec.workers)
    }

    private final class Results: @unchecked Sendable {       // under `lock`
        private let lock = NSLock()
        private var values: [Int: Result<Run, any Error>] = [:]
        func set(_ i: Int, _ r: Result<Run, any Error>) { lock.withLock { values[i] = r } }
        func get(_ i: Int) throws -> Run {
            guard let r = lock.withLock({ values[i] }) else { throw XCTSkip("no result \(i)") }
            return try r.get()
        }
    }
}
