// `vtok bench`: how fast the engine encodes and decodes on this machine, against the sgemm peak of each GEMM
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
import VtokBench
import VtokEngine

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure streaming encode/decode speed on synthetic frames.",
        discussion: """
            Encodes frames one at a time and decodes one latent at a time for --seconds each, then measures \
            a 1024x1024x1024 sgemm of each GEMM library (oneDNN, OpenBLAS) in the same process. Numbers \
            depend on what else the machine is running.

            Examples:
              vtok bench --seconds 10 --threads 2
              vtok bench --reference --json
              vtok bench --backend openblas
              vtok bench --isa both --reference     # this CPU as it is, then as an AVX2-only CPU

            --isa avx2 runs the benchmark (in a child process) as on a CPU without AVX-512: oneDNN limited to
            AVX2 (ONEDNN_MAX_CPU_ISA=AVX2) and OpenBLAS on its Haswell kernels (OPENBLAS_CORETYPE=Haswell);
            --isa both prints this CPU's result and then that one.
            """)

    enum ISA: String, ExpressibleByArgument, CaseIterable { case native, avx2, both }

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Frame size WIDTHxHEIGHT, multiples of 8.")
    var size: String = "256x256"

    @Option(help: "Seconds for each of encode and decode.")
    var seconds: Double = 5

    @Flag(help: "Also run training/bench_reference.py (PyTorch fp32) with .venv/bin/python and print the ratio.")
    var reference = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Time every 3x3 conv shape of the model by direct convolution, Winograd F(2x2) and F(4x4) instead (--seconds / 10 each), with what --conv auto picks.")
    var layers = false

    @Option(help: ArgumentHelp("Instruction set: native (this CPU), avx2 (as an AVX2-only CPU), or both.",
                               valueName: "native|avx2|both"))
    var isa: ISA = .native

    /// The environment of an AVX2-only run.
    static let avx2Environment = ["ONEDNN_MAX_CPU_ISA": "AVX2", "OPENBLAS_CORETYPE": "Haswell"]

    func run() throws {
        if isa == .avx2 {
            FileHandle.standardOutput.write(try runAVX2Child())
            return
        }
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2 else { throw ValidationError("--size must look like 256x256") }
        let (width, height) = (parts[0], parts[1])
        let weights = try modelOptions.load()
        if layers { return try runLayers(weights, width: width, height: height) }
        let r: BenchmarkResult
        do {
            r = try Benchmark.run(model: weights, width: width, height: height, seconds: seconds,
                                  compute: modelOptions.compute())
        } catch {
            throw CLIError("cannot benchmark at \(width)x\(height): \(error)")
        }
        let ref = reference ? try runReference(width: width, height: height, threads: r.threads) : nil

        if json {
            var obj = try benchJSON(r, reference: ref)
            if isa == .both,
               let child = try JSONSerialization.jsonObject(with: runAVX2Child()) as? [String: Any] {
                obj["avx2"] = child
            }
            print(try JSONOutput.render(obj))
            return
        }
        print("\(r.model) at \(width)x\(height), \(r.threads) threads, \(r.backendLibrary) (\(r.kernels.joined(separator: ", ")))")
        print("isa: \(Self.isaName(r.kernels))" + (ProcessInfo.processInfo.environment["ONEDNN_MAX_CPU_ISA"].map {
            " (ONEDNN_MAX_CPU_ISA=\($0))" } ?? ""))
        print(String(format: "encode %6.1f fps  %6.1f GFLOP/s  (%.0f%% of sgemm peak %.1f GFLOP/s)",
                     r.encodeFPS, r.encodeGFLOPS, 100 * r.encodePeakShare, r.sgemmPeakGFLOPS))
        print(String(format: "decode %6.1f fps  %6.1f GFLOP/s  (%.0f%%)", r.decodeFPS, r.decodeGFLOPS, 100 * r.decodePeakShare))
        print(String(format: "cpu time per frame: encode %.2f ms, decode %.2f ms (all threads; little affected by other load)",
                     r.encodeCPUMillisecondsPerFrame, r.decodeCPUMillisecondsPerFrame))
        if r.kernels.contains(where: { $0.hasPrefix("winograd") }) {
            print("(GFLOP/s count direct-convolution FLOPs; Winograd layers do 2.25x (F(2x2)) or 4x (F(4x4)) fewer multiplies, so over 100% of the sgemm peak is possible)")
        }
        let others = GemmLibrary.allCases.filter { $0 != r.backend.gemmLibrary }.compactMap { library in
            r.sgemmPeakGFLOPSByLibrary[library.rawValue].map { String(format: "%@ %.1f GFLOP/s", library.description, $0) }
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
        if isa == .both {
            fflush(nil)                       // our buffered lines before the child's
            print("\nas an AVX2-only CPU (\(Self.avx2Environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))):")
            fflush(nil)                       // our buffered lines before the child's
            FileHandle.standardOutput.write(try runAVX2Child())
        }
    }

    /// `--layers`: one line per conv shape, milliseconds of CPU per run (all threads) for each algorithm.
    private func runLayers(_ model: VtokModel, width: Int, height: Int) throws {
        let compute = modelOptions.compute()
        let rows: [LayerTiming]
        do {
            rows = try LayerBenchmark.run(model: model, width: width, height: height, seconds: seconds / 10, compute: compute)
        } catch {
            throw CLIError("cannot benchmark the layers at \(width)x\(height): \(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(rows) + Data("\n".utf8))
            return
        }
        print("\(model.name) at \(width)x\(height), \(compute.threads) threads, \(compute.backend.description); CPU ms per run (all threads)")
        print("layer                                  per latent  GFLOP   direct  F(2x2)  F(4x4)  fastest      auto")
        for r in rows {
            print(String(format: "%-40@ %5d  %6.3f  %7.2f %7.2f %7.2f  %-12@ %@", r.layer as NSString, r.perLatent, r.gflop,
                         r.directCPUMilliseconds, r.winograd2x2CPUMilliseconds, r.winograd4x4CPUMilliseconds,
                         r.fastest as NSString, r.auto as NSString))
        }
    }

    /// The instruction set of the kernels in use, from their names ("brgconv:avx512_core" -> "avx512_core").
    static func isaName(_ kernels: [String]) -> String {
        let isas = Set(kernels.filter { $0.contains(":") }.compactMap { k in k.split(separator: ":").last.map(String.init) })
        return isas.isEmpty ? "generic (OpenBLAS \(Gemm.openBLASCore))" : isas.sorted().joined(separator: ", ")
    }

    /// This command again in a child process with `--isa native` under the AVX2-only environment; its stdout.
    private func runAVX2Child() throws -> Data {
        var args = Array(CommandLine.arguments.dropFirst())
        if let i = args.firstIndex(of: "--isa"), i + 1 < args.count { args[i + 1] = "native" }
        else if let i = args.firstIndex(where: { $0.hasPrefix("--isa=") }) { args[i] = "--isa=native" }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in Self.avx2Environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CLIError("the AVX2-only benchmark run failed (status \(p.terminationStatus))") }
        return data
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
