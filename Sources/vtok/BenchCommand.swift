// `vtok bench`: how fast the engine encodes and decodes on this machine, against the sgemm peak of each compute
// library and, with --reference, against the PyTorch fp32 reference (training/bench_reference.py) on the same
// weights.
//
//   $ vtok bench --seconds 8 --reference
//   vtok-4x8x8 at 256x256, 2 threads, oneDNN 2.6.3 (brgconv:avx512_core, brgconv_1x1:avx512_core)
//   encode  357.9 fps   330.4 GFLOP/s  (73% of sgemm peak 453.3 GFLOP/s)
//   decode   91.7 fps   381.5 GFLOP/s  (84%)
//   cpu time per frame: encode 4.95 ms, decode 20.01 ms (all threads; little affected by other load)
//   sgemm peak of the other library (--backend): OpenBLAS Haswell 232.2 GFLOP/s
//   pytorch reference: encode 110.4 fps, decode 29.7 fps -> vtok is 3.24x / 3.09x
// (the development machine, idle; docs/performance.md)

import ArgumentParser
import Foundation
import VtokEngine

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure streaming encode/decode speed on synthetic frames.",
        discussion: """
            Encodes frames one at a time and decodes one latent at a time for --seconds each, then measures \
            a 1024x1024x1024 sgemm of each compute library in the same process. Numbers depend on what else \
            the machine is running.

            Examples:
              vtok bench --seconds 10 --threads 2
              vtok bench --reference --json
              vtok bench --backend openblas
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Frame size WIDTHxHEIGHT, multiples of 8.")
    var size: String = "256x256"

    @Option(help: "Seconds for each of encode and decode.")
    var seconds: Double = 5

    @Flag(help: "Also run training/bench_reference.py (PyTorch fp32) with .venv/bin/python and print the ratio.")
    var reference = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2 else { throw ValidationError("--size must look like 256x256") }
        let (width, height) = (parts[0], parts[1])
        let weights = try modelOptions.load()
        let r: BenchmarkResult
        do {
            r = try Benchmark.run(model: weights, width: width, height: height, seconds: seconds, threads: modelOptions.threads,
                                  backend: modelOptions.backend)
        } catch {
            throw CLIError("cannot benchmark at \(width)x\(height): \(error)")
        }
        let ref = reference ? try runReference(width: width, height: height, threads: r.threads) : nil

        if json {
            print(try JSONOutput.render(benchJSON(r, reference: ref)))
            return
        }
        print("\(r.model) at \(width)x\(height), \(r.threads) threads, \(r.backendLibrary) (\(r.kernels.joined(separator: ", ")))")
        print(String(format: "encode %6.1f fps  %6.1f GFLOP/s  (%.0f%% of sgemm peak %.1f GFLOP/s)",
                     r.encodeFPS, r.encodeGFLOPS, 100 * r.encodePeakShare, r.sgemmPeakGFLOPS))
        print(String(format: "decode %6.1f fps  %6.1f GFLOP/s  (%.0f%%)", r.decodeFPS, r.decodeGFLOPS, 100 * r.decodePeakShare))
        print(String(format: "cpu time per frame: encode %.2f ms, decode %.2f ms (all threads; little affected by other load)",
                     r.encodeCPUMillisecondsPerFrame, r.decodeCPUMillisecondsPerFrame))
        let others = ComputeBackend.allCases.filter { $0 != r.backend }.compactMap { b in
            r.sgemmPeakGFLOPSByLibrary[b.rawValue].map { String(format: "%@ %.1f GFLOP/s", b.description, $0) }
        }
        if !others.isEmpty { print("sgemm peak of the other library (--backend): \(others.joined(separator: ", "))") }
        if r.backend == .onednn, r.kernels.contains(where: { $0.hasPrefix("ref") || $0.contains(":ref") }) {
            print("note: oneDNN has no optimised kernel for this CPU and runs its reference code: try --backend openblas")
        }
        if r.backend == .openblas, let better = Gemm.preferredOpenBLASCore {
            print("note: this CPU can run OpenBLAS's faster \(better) kernels: set OPENBLAS_CORETYPE=\(better)")
        }
        if let ref {
            print(String(format: "pytorch reference: encode %.1f fps, decode %.1f fps -> vtok is %.2fx / %.2fx",
                         ref.encode, ref.decode, r.encodeFPS / ref.encode, r.decodeFPS / ref.decode))
        }
    }

    /// The result as JSON: snake_case keys (BenchmarkResult's camelCase names converted), the reference as an
    /// object, the speed-ups next to it.
    func benchJSON(_ r: BenchmarkResult, reference ref: (encode: Double, decode: Double)?) throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var obj = try JSONSerialization.jsonObject(with: encoder.encode(r)) as? [String: Any] ?? [:]
        for (k, v) in obj where ["inf", "-inf", "nan"].contains(v as? String) { obj[k] = NSNull() }
        obj["openblas_core"] = Gemm.openBLASCore
        if let better = Gemm.preferredOpenBLASCore { obj["openblas_core_available"] = better }
        if let ref {
            obj["reference"] = ["encode_fps": ref.encode, "decode_fps": ref.decode]
            obj["encode_speedup"] = ref.encode > 0 ? r.encodeFPS / ref.encode : NSNull()
            obj["decode_speedup"] = ref.decode > 0 ? r.decodeFPS / ref.decode : NSNull()
        }
        return obj
    }

    private struct Reference: Decodable {
        let encode_fps: Double
        let decode_fps: Double
    }

    private func runReference(width: Int, height: Int, threads: Int) throws -> (encode: Double, decode: Double) {
        guard let model = modelOptions.model ?? DefaultModel.path() else { throw CLIError("no model for the reference run") }
        let script = ["training/bench_reference.py", "--model", model, "--size", "\(width)x\(height)",
                      "--seconds", "\(seconds)", "--threads", "\(threads)"]
        let p = Process()
        if FileManager.default.isExecutableFile(atPath: ".venv/bin/python") {
            p.executableURL = URL(fileURLWithPath: ".venv/bin/python")
            p.arguments = script
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3"] + script
        }
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let ref = try? JSONDecoder().decode(Reference.self, from: Data(line.utf8))
        else { throw CLIError("training/bench_reference.py failed (status \(p.terminationStatus)); run from the source tree") }
        return (ref.encode_fps, ref.decode_fps)
    }
}
