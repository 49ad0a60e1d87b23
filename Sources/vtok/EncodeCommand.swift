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

            Exit status: 0 when the stream ended with END, also after a limit or a damaged or truncated input
            that was tokenised as far as it decodes (a 'vtok:' note on stderr says what was lost); 1 when the
            input cannot be opened, holds no video frame or fails, or its frame size changes under
            --on-size-change fail (a stream already begun still ends with END saying why); 2 when the output
            cannot be written.
            """)

    @Argument(help: "Input: a path, '-' for stdin, a device or a URL.")
    var input: String = "-"

    @Option(name: .shortAndLong, help: "Output token stream ('-' for stdout).")
    var output: String = "-"

    @Flag(help: "Also write the continuous (pre-rounding) latents in every TOKENS packet.")
    var continuous = false

    @Option(help: "Repeat the stream header every N latent frames (0: never).")
    var headerRepeat: Int = 32

    @OptionGroup var media: MediaOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let code = execute()
        if code != 0 { throw ExitCode(code) }
    }

    private func execute() -> Int32 {
        do {
            let model = try modelOptions.load()
            let options = try media.encodeOptions(model: model, continuous: continuous, headerRepeat: headerRepeat)
            let pipeline: EncodePipeline
            do { pipeline = try EncodePipeline(input: .path(input), options: options) } catch {
                Terminal.error("\(input): \(error)")
                return ExitCodes.failure
            }
            let sink: ByteSink
            do { sink = try ByteSink(path: output) } catch {
                Terminal.error("\(error)")
                return ExitCodes.outputFailure
            }
            let start = Date()
            let summary = pipeline.run(emit: { try sink.write($0) }, progress: { p in
                let secs = Date().timeIntervalSince(start)
                Terminal.progress(String(format: "frames %d  latents %d  %.1f fps", p.framesIn, p.latentsOut,
                                         Double(p.framesIn) / max(secs, 1e-6)))
            })
            Terminal.endProgress()
            let d = summary.mediaDiagnostics
            let damage = [d.skippedPackets > 0 ? "\(d.skippedPackets) packet(s) skipped" : nil,
                          d.corruptFrames > 0 ? "\(d.corruptFrames) corrupt frame(s) concealed" : nil,
                          d.truncated ? "truncated" : nil].compactMap { $0 }
            if !damage.isEmpty {
                Terminal.note("\(input): input damaged: \(damage.joined(separator: ", "))")
            }
            if let failure = summary.failure {
                if case .output = failure {
                    Terminal.error(failure.description)
                    return ExitCodes.outputFailure
                }
                Terminal.error("\(input): \(failure)")
                return ExitCodes.failure
            }
            if summary.reason == .sourceChanged {                // --on-size-change fail: the user asked for a failure
                Terminal.error("\(input): \(summary.message) (--on-size-change fail)")
                return ExitCodes.failure
            }
            if summary.reason != .endOfInput, !summary.message.isEmpty {
                Terminal.note("stream ended early: \(summary.message)")
            }
            return 0
        } catch {
            Terminal.error("\(error)")
            return ExitCodes.failure
        }
    }
}
