// The options of `vtok encode` that only a batch uses: a manifest of inputs, parallel jobs, resume, job-array shards.
import ArgumentParser

struct BatchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A file listing inputs: one path or URL per line (text; '#' starts a comment), or "
                               + "JSON Lines of {\"input\": PATH, \"output\": NAME (optional)}. Relative paths are "
                               + "relative to the manifest's folder.", valueName: "file"))
    var manifest: String?

    @Option(help: ArgumentHelp("Inputs encoded at once (default: the number of cores).", valueName: "n"))
    var jobs: Int?

    @Flag(help: "Skip inputs whose output stream already exists (outputs appear only when complete).")
    var resume = false

    @Option(help: ArgumentHelp("Encode only share I of N (0-based: every input whose position in the list is I "
                               + "modulo N), for job arrays.", valueName: "I/N"))
    var shard: String?

    @Option(help: ArgumentHelp("Results manifest (JSON Lines, appended). Default: DIR/results.jsonl, or "
                               + "DIR/results-I-of-N.jsonl with --shard.", valueName: "file"))
    var results: String?

    /// Whether any batch-only option was given.
    var given: Bool { manifest != nil || jobs != nil || resume || shard != nil || results != nil }

    /// --shard as (index, count); (0, 1) when absent.
    func shardSpec() throws -> (index: Int, count: Int) {
        guard let shard else { return (0, 1) }
        let parts = shard.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 0, i < n else {
            throw CLIError("--shard must be I/N with 0 <= I < N, got '\(shard)'")
        }
        return (i, n)
    }
}
