// vtok decode: token stream in, video out; frames leave as their latent frames arrive.
import ArgumentParser
import VtokEngine
import VtokMedia
import VtokPipeline

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Turn a token stream back into video (.mp4, .mkv, .y4m, .nut, .png, .jpg, or '-' for a pipe).",
        discussion: """
            The output format follows the file extension, as in FFmpeg. mp4 uses H.264 (libx264) when present,
            MPEG-4 part 2 otherwise. '-o -' writes NUT to stdout, which plays live:
              vtok decode clip.vtok -o clip.mp4
              vtok encode /dev/video0 | vtok decode - -o - | ffplay -
            The video has exactly as many frames, with the same timestamps, as the encoded input.

            The video has the source's size (recorded in the stream header; FFmpeg scales the model's frames,
            bicubic) unless --size model or --size WxH. A 1-frame stream decodes to a picture (.png, .jpg);
            a numbered pattern writes one picture per frame:
              vtok decode photo.vtok -o photo.png
              vtok decode clip.vtok -o frames/out_%04d.png
            A stream whose frame size changes mid-stream (a new segment) decodes into one video: every segment is
            scaled to the first segment's model size, then to the output size.

            Exit status: 0 when the stream was decoded up to its END with every frame END counts (corrupt packets
            are skipped and reported on stderr); 1 when the input is not a token stream or holds no video, is
            truncated or lost frames to corruption (the frames that arrived are written, and a failure mid-stream
            still closes the video), declares frames over --max-pixels, or was made by another model; 2 when the
            video cannot be written; 64 usage.
            """)

    @Argument(help: "Token stream ('-' for stdin).")
    var input: String = "-"

    @Option(name: .shortAndLong, help: "Output video ('-' for stdout).")
    var output: String

    @Option(name: [.customShort("f"), .long], help: "Force the output format (e.g. nut, matroska, mp4).")
    var format: String?

    @Option(help: "Force the video codec (e.g. libx264, mpeg4, rawvideo).")
    var codec: String?

    @Flag(help: "Decode the continuous latents when the stream carries them.")
    var continuous = false

    @Flag(help: "Decode even when the stream names other weights than the loaded model.")
    var ignoreModelMismatch = false

    @Option(help: "Refuse a stream whose frames are larger than this many pixels (checked before allocating).")
    var maxPixels: Int = 3840 * 2160

    @Option(help: ArgumentHelp("Output size: source (the size recorded in the stream, default), model (no scaling), or WxH.",
                               valueName: "source|model|WxH"))
    var size: String = "source"

    @Flag(name: .shortAndLong, help: "No progress line on a terminal.")
    var quiet = false

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let model: VtokModel
        do { model = try modelOptions.load() } catch {
            Terminal.error("\(error)")
            throw ExitCode(ExitCodes.failure)
        }
        let source: ByteSource
        do { source = try ByteSource(path: input) } catch {
            Terminal.error("\(error)")
            throw ExitCode(ExitCodes.failure)
        }
        guard let outputSize = DecodeSize(argument: size) else {
            throw ValidationError("--size must be source, model or WxH, got '\(size)'")
        }
        let pipeline = DecodePipeline(model: model, output: .path(output),
                                      writerOptions: MediaWriterOptions(format: format, codec: codec))
        pipeline.preferContinuous = continuous
        pipeline.allowModelMismatch = ignoreModelMismatch
        pipeline.maxPixels = maxPixels
        pipeline.outputSize = outputSize
        pipeline.compute = modelOptions.compute()
        let meter = ProgressMeter("decode", quiet: quiet)
        meter.estimated = true
        let fileBytes = source.fileSize
        pipeline.progress = { p in
            if let fileBytes { meter.total = p.expectedFrames(fileBytes: fileBytes) }   // an estimate: "~" in the line
            meter.update(p.framesOut)
        }
        let summary = pipeline.run(read: { try source.read(into: &$0) })
        meter.finish()
        if summary.latentsIn == 0, case .stream(.missingHeader)? = summary.failure {
            // Nothing to decode: say what the input was rather than list the bytes skipped looking for a header.
            Terminal.error(UserMessage.noVideo(input: input, end: summary.end.map { ("\($0.reason)", $0.message) }))
            throw ExitCode(ExitCodes.failure)
        }
        // One line: the failure, with the damage that came before it; or the damage alone as a note (exit 0).
        let damage = summary.corruptBytes > 0 || summary.missingPackets > 0
            ? "\(summary.corruptBytes) corrupt bytes skipped, \(summary.missingPackets) packets missing" : nil
        if let failure = summary.failure {
            Terminal.error(UserMessage.decoding(failure, input: input, output: output) + (damage.map { " (\($0))" } ?? ""))
            switch failure {
            case .media, .output: throw ExitCode(ExitCodes.outputFailure)
            default: throw ExitCode(ExitCodes.failure)
            }
        }
        func fail(_ message: String) throws -> Never {
            Terminal.error("\(input): \(message)" + (damage.map { " (\($0))" } ?? ""))
            throw ExitCode(ExitCodes.failure)
        }
        if summary.truncated { try fail("token stream truncated (no END packet); \(summary.framesOut) frames written") }
        if let shortfall = summary.shortfall { try fail("\(shortfall); \(summary.framesOut) frames written") }
        if let damage { Terminal.note("\(input): \(damage)") }
    }
}
