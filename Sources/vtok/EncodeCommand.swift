// vtok encode: media in, token stream out, one packet per latent frame as soon as it exists.
import ArgumentParser
import Foundation
import VtokMedia
import VtokPipeline

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Tokenise video: a file, '-' for stdin, a camera such as /dev/video0, or a URL.",
        discussion: """
            The token stream (docs/token-stream.md) goes to stdout unless -o is given. Each latent frame is
            written and flushed as soon as its last source frame has been decoded.

            Examples:
              vtok encode samples/sample.mp4 -o sample.vtok
              ffmpeg -re -i clip.mkv -f nut - | vtok encode - | python3 consumer.py
              vtok encode /dev/video0 --size 320x240 --max-seconds 10 -o cam.vtok
              vtok encode clips/ --size 256x256 -o tokens/ --resume
              vtok encode --manifest list.jsonl -o tokens/ --shard 3/8

            A batch (several inputs, a folder, --manifest) writes DIR/<name>.vtok for each input, under a temporary
            name until its END is written, --jobs inputs at once; failures are recorded and skipped; one JSON line
            per input goes to DIR/results.jsonl (docs/datasets.md). It exits 1 if an input failed, 130 if interrupted.

            Exit status: 0 when the input was read to its end (or to a limit) without damage; 1 when the input
            is damaged or truncated (everything that decodes is tokenised and the stream still ends with END; one
            'vtok:' line says what was wrong), cannot be opened, holds no video frame, or changes frame size
            under --on-size-change fail; 2 when the output cannot be written; 64 usage; 130 (SIGINT) or 143
            (SIGTERM) when interrupted: the stream then ends at a whole latent frame with END reason 'interrupted'.

            Pictures and numbered sequences are inputs too (FFmpeg's image2): vtok encode photo.png -o photo.vtok,
            vtok encode frames/in_%04d.png -o clip.vtok (25 fps unless the demuxer is told otherwise).
            """)

    @Argument(help: "Input: a path, '-' for stdin, a device or a URL. Several inputs or a folder: a batch (-o DIR/).")
    var inputs: [String] = []
    var input: String { inputs.first ?? "-" }

    @Option(name: .shortAndLong, help: "Output token stream ('-' for stdout).")
    var output: String = "-"

    @Flag(help: "Also write the continuous (pre-rounding) latents in every TOKENS packet.")
    var continuous = false

    @Option(help: "Repeat the stream header every N latent frames (0: never).")
    var headerRepeat: Int = 32

    @Flag(help: "At the end, print frame rate and per-latent latency (last frame in -> packet out) on stderr.")
    var stats = false

    @Flag(name: .shortAndLong, help: "No progress line on a terminal.")
    var quiet = false

    @OptionGroup var media: MediaOptions
    @OptionGroup(title: "Batch (several inputs, a folder or --manifest, into -o DIR/)") var batch: BatchOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let code = execute()
        if code != 0 { throw ExitCode(code) }
    }

    private func execute() -> Int32 {
        if isBatch { return executeBatch() }
        if output == "-", isatty(1) != 0 {
            Terminal.error("refusing to write a binary token stream to a terminal: use -o FILE or a pipe")
            return ExitCodes.outputFailure
        }
        let interrupt = EncodeInterrupt()
        do {
            let model = try modelOptions.load()
            let options = try media.encodeOptions(model: model, compute: modelOptions.compute(), continuous: continuous,
                                                  headerRepeat: headerRepeat)
            let pipeline: EncodePipeline
            do { pipeline = try EncodePipeline(input: .path(input), options: options) } catch {
                Terminal.error(UserMessage.encoding(error, input: input))
                return ExitCodes.failure
            }
            let sink: ByteSink
            do { sink = try ByteSink(path: output) } catch {
                Terminal.error("\(error)")
                return ExitCodes.outputFailure
            }
            interrupt.attach(fd: sink.fd)
            let start = Date()
            var latencies: [Double] = []
            let meter = ProgressMeter("encode", total: media.maxFrames.map { m in min(m, pipeline.mediaInfo.expectedFrames ?? m) }
                                      ?? pipeline.mediaInfo.expectedFrames, quiet: quiet)
            let summary = pipeline.run(packets: { packets in try interrupt.emit(packets) { try sink.write($0) } },
                                       shouldStop: { interrupt.isRequested }, progress: { p in
                if stats { latencies.append(p.latencySeconds) }
                meter.update(p.framesIn, extra: "\(p.latentsOut) latent frames")
            })
            meter.finish()
            interrupt.finish()
            if interrupt.endedByInterrupt, let signal = interrupt.signal {
                Terminal.error("interrupted by \(EncodeInterrupt.name(signal)): stream ended with END(interrupted) after \(summary.framesIn) frames")
                return EncodeInterrupt.exitStatus(signal)
            }
            if stats { printStats(latencies, frames: summary.framesIn, seconds: Date().timeIntervalSince(start)) }
            let damage = summary.inputDamage
            let damaged = damage != nil
            if let damage, summary.failure == nil {
                Terminal.error("\(input): input damaged: \(damage)")
            }
            if let failure = summary.failure {
                if case .output = failure {
                    Terminal.error(failure.description)
                    return ExitCodes.outputFailure
                }
                Terminal.error(UserMessage.encoding(failure, input: input))
                return ExitCodes.failure
            }
            if summary.reason == .sourceChanged {                // --on-size-change fail: the user asked for a failure
                Terminal.error("\(input): \(summary.message) (--on-size-change fail)")
                return ExitCodes.failure
            }
            if summary.reason != .endOfInput, !summary.message.isEmpty, !damaged {
                Terminal.note("stream ended early: \(summary.message)")
            }
            return damaged ? ExitCodes.failure : 0
        } catch {
            Terminal.error("\(error)")
            return ExitCodes.failure
        }
    }

    private func printStats(_ latencies: [Double], frames: Int, seconds: Double) {
        let sorted = latencies.sorted()
        func ms(_ q: Double) -> Double { sorted.isEmpty ? 0 : 1000 * sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))] }
        Terminal.note(String(format: "%d frames, %d latent frames in %.2f s (%.1f fps); latency per latent frame: "
                             + "median %.1f ms, p99 %.1f ms, max %.1f ms (latent %d)", frames, latencies.count,
                             seconds, Double(frames) / max(seconds, 1e-9), ms(0.5), ms(0.99), 1000 * (sorted.last ?? 0),
                             latencies.indices.max { latencies[$0] < latencies[$1] } ?? 0))
    }
}
