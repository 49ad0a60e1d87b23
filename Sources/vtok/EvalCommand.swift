// vtok eval: the round trip and its quality in one command: encode INPUT, decode the tokens (losslessly, to
// FFV1 in a temporary folder), and compare the result with INPUT as `vtok compare` does.
import ArgumentParser
import Foundation
import VtokEngine
import VtokMedia
import VtokPipeline

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Encode and decode a video, then print its per-frame and mean PSNR/SSIM (vtok compare).",
        discussion: """
            The reconstruction is decoded at the source size into lossless FFV1, so only the tokeniser's loss is
            measured (not a video codec's). --plot, --side-by-side and --json are as in vtok compare; --keep DIR
            keeps the token stream and the reconstruction.

            Examples:
              vtok eval samples/sample.mp4
              vtok eval clip.mp4 --plot quality.png --side-by-side diff.mp4
              vtok eval clip.mp4 --json | jq .mean

            Exit status: 0 on success; 1 when the input cannot be read or the round trip loses frames; 2 when an
            output cannot be written; 64 usage.
            """)

    @Argument(help: "The video (or picture, or numbered sequence) to tokenise.")
    var input: String

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("Write a PNG of per-frame PSNR/SSIM and the code-usage histogram.", valueName: "file.png"))
    var plot: String?

    @Option(help: ArgumentHelp("Write original | reconstruction | amplified difference as a video.", valueName: "out.mp4"))
    var sideBySide: String?

    @Option(help: ArgumentHelp("Keep the token stream and the reconstruction in this folder.", valueName: "dir"))
    var keep: String?

    @Flag(name: .shortAndLong, help: "No progress lines on a terminal.")
    var quiet = false

    @OptionGroup var media: MediaOptions
    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let fm = FileManager.default
        let dir = keep ?? fm.temporaryDirectory.appendingPathComponent("vtok-eval-\(UUID().uuidString)").path
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            Terminal.error("cannot create '\(dir)': \(error.localizedDescription)")
            throw ExitCode(ExitCodes.outputFailure)
        }
        defer { if keep == nil { try? fm.removeItem(atPath: dir) } }
        let tokens = dir + "/tokens.vtok", video = dir + "/reconstruction.mkv"
        let model: VtokModel
        let options: EncodeOptions
        do {
            model = try modelOptions.load()
            options = try media.encodeOptions(model: model, compute: modelOptions.compute(), continuous: false,
                                              headerRepeat: 32)
        } catch {
            Terminal.error("\(error)")
            throw ExitCode(ExitCodes.failure)
        }

        // Encode.
        let encoder: EncodePipeline
        do { encoder = try EncodePipeline(input: .path(input), options: options) } catch {
            Terminal.error(UserMessage.encoding(error, input: input))
            throw ExitCode(ExitCodes.failure)
        }
        let sink = try ByteSink(path: tokens)
        let encodeMeter = ProgressMeter("encode", total: encoder.mediaInfo.expectedFrames, quiet: quiet)
        let encoded = encoder.run(emit: { try sink.write($0) }, progress: { encodeMeter.update($0.framesIn) })
        encodeMeter.finish()
        if let failure = encoded.failure {
            Terminal.error(UserMessage.encoding(failure, input: input))
            throw ExitCode(ExitCodes.failure)
        }

        // Decode, losslessly, at the source size.
        let decoder = DecodePipeline(model: model, output: .path(video),
                                     writerOptions: MediaWriterOptions(format: "matroska", codec: "ffv1"))
        decoder.outputSize = .source
        decoder.compute = options.compute
        let decodeMeter = ProgressMeter("decode", total: encoded.framesIn, quiet: quiet)
        decoder.progress = { decodeMeter.update($0.framesOut) }
        let source = try ByteSource(path: tokens)
        let decoded = decoder.run(read: { try source.read(into: &$0) })
        decodeMeter.finish()
        if let failure = decoded.failure {
            Terminal.error(UserMessage.decoding(failure, input: tokens, output: video))
            throw ExitCode(ExitCodes.failure)
        }

        // Compare.
        var compare = try CompareCommand.parse([input, video] + (json ? ["--json"] : []) + (quiet ? ["--quiet"] : [])
                                               + ["--tokens", tokens] + (plot.map { ["--plot", $0] } ?? [])
                                               + (sideBySide.map { ["--side-by-side", $0] } ?? []))
        try compare.run()
    }
}
