// `vtok encode` with several inputs, a folder, a manifest, or -o DIR/: the batch (BatchEncode) instead of one stream.
import Foundation
import VtokEngine

extension EncodeCommand {
    /// Whether this invocation is a batch: several inputs, a folder among them, a batch option, or -o naming a
    /// folder (ending in '/', or one that exists).
    var isBatch: Bool {
        var isDir: ObjCBool = false
        return inputs.count > 1 || batch.given || output.hasSuffix("/")
            || (output != "-" && FileManager.default.fileExists(atPath: output, isDirectory: &isDir) && isDir.boolValue)
            || inputs.contains { FileManager.default.fileExists(atPath: $0, isDirectory: &isDir) && isDir.boolValue }
    }

    func executeBatch() -> Int32 {
        guard output != "-" else {
            Terminal.error("several inputs need an output folder: -o DIR/")
            return ExitCodes.failure
        }
        let dir = output.count > 1 && output.hasSuffix("/") ? String(output.dropLast()) : output
        let items: [BatchItem]
        let shard: (index: Int, count: Int)
        let jobs: Int
        let compute: ComputeOptions
        do {
            shard = try batch.shardSpec()
            if let j = batch.jobs, j < 1 { throw CLIError("--jobs must be at least 1") }
            let all = try BatchInputs.expand(arguments: inputs, manifest: batch.manifest, outputDir: dir)
            guard !all.isEmpty else { throw CLIError("no inputs (no video files in the folders or the manifest)") }
            items = BatchInputs.shard(all, index: shard.index, count: shard.count)
            // Each job's engine gets its share of the cores, jobs x threads = cores, unless --threads says.
            let cores = Compute.availableCores
            jobs = batch.jobs ?? min(cores, max(1, items.count))
            compute = modelOptions.compute(defaultThreads: max(1, cores / jobs))
        } catch {
            Terminal.error("\(error)")
            return ExitCodes.failure
        }
        let resultsPath = batch.results ?? (shard.count > 1 ? "\(dir)/results-\(shard.index)-of-\(shard.count).jsonl"
                                                             : "\(dir)/results.jsonl")
        let results: BatchResultsFile
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            results = try BatchResultsFile(path: resultsPath)
        } catch let e as CLIError {
            Terminal.error("\(e)")
            return ExitCodes.outputFailure
        } catch {
            Terminal.error("cannot create the output folder '\(dir)': \(error.localizedDescription)")
            return ExitCodes.outputFailure
        }
        do {
            let model = try modelOptions.load()
            let options = try media.encodeOptions(model: model, compute: compute, continuous: continuous,
                                                  headerRepeat: headerRepeat)
            return BatchEncode(items: items, total: items.count, options: options, jobs: jobs, resume: batch.resume,
                               results: results).run()
        } catch {
            Terminal.error("\(error)")
            return ExitCodes.failure
        }
    }
}
