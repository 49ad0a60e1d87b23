// `vtok bench --layers`: every 3x3 conv shape of a model at one frame size, timed by direct convolution, Winograd
// F(2x2,3x3) and F(4x4,3x3) on the session's backend and threads, with the rule ConvAlgorithm.auto picks for it.
// This is how the auto rule was chosen (docs/performance.md), and how a user checks it on their own CPU.

import VtokEngine

public struct LayerTiming: Codable, Sendable {
    public let layer: String
    /// How many convs of this shape run per latent.
    public let perLatent: Int
    public let gflop: Double
    /// Wall milliseconds per run of one conv: direct, F(2x2), F(4x4).
    public let directMilliseconds: Double
    public let winograd2x2Milliseconds: Double
    public let winograd4x4Milliseconds: Double
    /// The same, process CPU milliseconds (all threads).
    public let directCPUMilliseconds: Double
    public let winograd2x2CPUMilliseconds: Double
    public let winograd4x4CPUMilliseconds: Double
    /// "direct", "winograd2x2" or "winograd4x4": the fastest here by CPU time, and what auto runs.
    public let fastest: String
    public let auto: String
}

public enum LayerBenchmark {
    /// Times each shape under each algorithm for about `seconds` (after one warm-up run).
    public static func run(model: VtokModel, width: Int, height: Int, seconds: Double,
                           compute: ComputeOptions) throws(EngineError) -> [LayerTiming] {
        var out: [LayerTiming] = []
        for shape in model.convShapes(width: width, height: height) {
            var wall: [Double] = [], cpu: [Double] = []
            for tile in [nil, WinogradTile.f2x2, .f4x4] {
                let probe = try ConvProbe(shape, tile: tile, compute: compute)
                probe.run()
                var runs = 0
                let cpu0 = Benchmark.cpuNow(), start = Benchmark.now()
                while Benchmark.now() - start < seconds || runs < 3 {
                    probe.run()
                    runs += 1
                }
                wall.append(1e3 * (Benchmark.now() - start) / Double(runs))
                cpu.append(1e3 * (Benchmark.cpuNow() - cpu0) / Double(runs))
            }
            let names = ["direct", "winograd2x2", "winograd4x4"]
            let best = cpu.indices.min { cpu[$0] < cpu[$1] } ?? 0
            let auto = ConvProbe.autoTile(shape, backend: compute.backend).map { "winograd\($0.m)x\($0.m)" } ?? "direct"
            out.append(LayerTiming(layer: shape.description, perLatent: shape.perLatent, gflop: shape.flops / 1e9,
                                   directMilliseconds: wall[0], winograd2x2Milliseconds: wall[1],
                                   winograd4x4Milliseconds: wall[2], directCPUMilliseconds: cpu[0],
                                   winograd2x2CPUMilliseconds: cpu[1], winograd4x4CPUMilliseconds: cpu[2],
                                   fastest: names[best], auto: auto))
        }
        return out
    }
}
