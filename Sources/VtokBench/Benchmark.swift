// `vtok bench`: streaming encode and decode speed on synthetic frames, the FLOP rate that implies, and the sgemm
// peak of each GEMM library measured in the same run for comparison. No I/O. A module of its own, used by the
// command line only: the engine has no timing code.

import Dispatch
import Foundation
import Synchronization
import VtokEngine

public struct BenchmarkResult: Codable, Sendable {
    public let model: String
    public let modelSHA256: String
    public let width: Int
    public let height: Int
    public let threads: Int
    /// The library that ran the convolutions (the session's backend), its description (version or kernels)
    /// and the kernels it chose.
    public let backend: ComputeBackend
    public let backendLibrary: String
    public let kernels: [String]
    /// Seconds spent in each of encode and decode.
    public let seconds: Double
    public let encodeFPS: Double
    public let decodeFPS: Double
    /// Process CPU time per frame (all threads), milliseconds: unlike fps, barely affected by other processes
    /// competing for the cores.
    public let encodeCPUMillisecondsPerFrame: Double
    public let decodeCPUMillisecondsPerFrame: Double
    /// Model cost per frame, GFLOP.
    public let encodeGFLOPPerFrame: Double
    public let decodeGFLOPPerFrame: Double
    /// Achieved rate, GFLOP/s.
    public let encodeGFLOPS: Double
    public let decodeGFLOPS: Double
    /// 1024^3 sgemm rate of `backend`'s GEMM library in the same process on the same threads, GFLOP/s.
    public let sgemmPeakGFLOPS: Double
    /// The same for every GEMM library, keyed by GemmLibrary raw value.
    public let sgemmPeakGFLOPSByLibrary: [String: Double]
    /// encodeGFLOPS / sgemmPeakGFLOPS (and decode).
    public let encodePeakShare: Double
    public let decodePeakShare: Double
}

public enum Benchmark {
    /// Encodes then decodes synthetic frames for `seconds` each, streaming one frame (encoder) or one latent
    /// (decoder) at a time, in sessions computing as `compute` says, then measures each GEMM library's sgemm
    /// peak on as many threads.
    public static func run(model: VtokModel, width: Int = 256, height: Int = 256, seconds: Double = 5,
                           compute: ComputeOptions = .default) throws(EngineError) -> BenchmarkResult {
        let backend = compute.backend
        let flops = model.flops(width: width, height: height)

        // Encode: 8 distinct frames, cycled.
        let enc = try EncoderSession(model: model, width: width, height: height, compute: compute)
        var state: UInt32 = 1
        let frames: [[UInt8]] = (0..<8).map { t in
            (0..<(width * height * 3)).map { i in
                state = state &* 1_664_525 &+ 1_013_904_223
                return UInt8(truncatingIfNeeded: (i / 3 % width + t * 3) &+ Int(state >> 28))
            }
        }
        var latents: [[UInt16]] = []
        _ = try enc.push(frame: frames[0])                       // warm-up (allocations, thread pool)
        var encoded = 0
        var cpuStart = cpuNow()
        var start = now()
        while now() - start < seconds || encoded < 9 {
            for l in try enc.push(frame: frames[encoded % frames.count]) where latents.count < 8 { latents.append(l.tokens) }
            encoded += 1
        }
        let encodeTime = now() - start
        let encodeCPU = cpuNow() - cpuStart

        // Decode the latents just produced, cycled, one latent per push.
        let dec = try DecoderSession(model: model, width: width, height: height, compute: compute)
        _ = try dec.push(tokens: latents[0])                     // warm-up: latent 0 emits one frame
        var decoded = 0, pushed = 1
        cpuStart = cpuNow()
        start = now()
        while now() - start < seconds || decoded < 4 {
            decoded += try dec.push(tokens: latents[pushed % latents.count]).count
            pushed += 1
        }
        let decodeTime = now() - start
        let decodeCPU = cpuNow() - cpuStart

        var peaks: [String: Double] = [:]
        for library in GemmLibrary.allCases {
            peaks[library.rawValue] = sgemmPeak(library: library, seconds: min(3, max(0.5, seconds / 2)),
                                                threads: compute.threads)
        }
        let peak = peaks[backend.gemmLibrary.rawValue] ?? 0
        let encodeFPS = Double(encoded) / encodeTime, decodeFPS = Double(decoded) / decodeTime
        let eg = encodeFPS * flops.encoder / 1e9, dg = decodeFPS * flops.decoder / 1e9
        return BenchmarkResult(model: model.name, modelSHA256: model.sha256Hex, width: width, height: height,
                               threads: compute.threads, backend: backend, backendLibrary: backend.description,
                               kernels: enc.kernels.union(dec.kernels).sorted(),
                               seconds: seconds, encodeFPS: encodeFPS, decodeFPS: decodeFPS,
                               encodeCPUMillisecondsPerFrame: 1e3 * encodeCPU / Double(encoded),
                               decodeCPUMillisecondsPerFrame: 1e3 * decodeCPU / Double(decoded),
                               encodeGFLOPPerFrame: flops.encoder / 1e9, decodeGFLOPPerFrame: flops.decoder / 1e9,
                               encodeGFLOPS: eg, decodeGFLOPS: dg,
                               sgemmPeakGFLOPS: peak, sgemmPeakGFLOPSByLibrary: peaks,
                               encodePeakShare: eg / peak, decodePeakShare: dg / peak)
    }

    /// GFLOP/s of square row-major sgemms of the given size, repeated for about `seconds` on `threads` workers
    /// at once, each calling `library`'s sgemm single-threaded on its own matrices.
    public static func sgemmPeak(library: GemmLibrary, size n: Int = 1024, seconds: Double = 1,
                                 threads: Int = Compute.availableCores) -> Double {
        Gemm.useCallerThreadOnly()
        let workers = max(1, threads)
        let matrices = Matrices(workers: workers, size: n)
        let reps = Atomic<Int>(0)
        let start = now()
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let (a, b, c) = matrices.pointers(w)
            Gemm.run(library, m: n, n: n, k: n, a: a, b: b, c: c, beta: 0)     // warm-up, counted
            reps.add(1, ordering: .relaxed)
            while now() - start < seconds {
                Gemm.run(library, m: n, n: n, k: n, a: a, b: b, c: c, beta: 0)
                reps.add(1, ordering: .relaxed)
            }
        }
        let total = Double(reps.load(ordering: .relaxed))
        return 2 * Double(n) * Double(n) * Double(n) * total / (now() - start) / 1e9
    }

    /// Each worker's A, B and C, (n, n) row-major, 64-byte aligned (as the engine's buffers), allocated once;
    /// worker w touches only its own.
    private final class Matrices: @unchecked Sendable {
        private let raw: UnsafeMutableRawPointer
        private let storage: UnsafeMutablePointer<Float>      // (workers, 3, n, n)
        private let n: Int

        init(workers: Int, size n: Int) {
            self.n = n
            let count = workers * 3 * n * n
            raw = .allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            storage = raw.initializeMemory(as: Float.self, repeating: 0, count: count)
            for w in 0..<workers {
                let (a, b, _) = pointers(w)
                for i in 0..<(n * n) { a[i] = Float(i % 7) * 0.25; b[i] = Float(i % 5) * 0.5 }
            }
        }

        deinit { raw.deallocate() }

        func pointers(_ w: Int) -> (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) {
            let base = storage + w * 3 * n * n
            return (base, base + n * n, base + 2 * n * n)
        }
    }

    static func cpuNow() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
