// vtok compare: how close a reconstruction is to its reference, frame by frame.
import ArgumentParser
import Foundation
import VtokMedia
import VtokStream

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Per-frame and mean PSNR/SSIM (RGB) of a reconstruction against its reference, with plots.",
        discussion: """
            Both videos are read at the reference's size (a reconstruction of another size is scaled to it,
            bilinear) and compared frame by frame, in order. Each frame's position within its latent group is
            shown: frame 0 is a latent frame of its own, then groups of 4 (the temporal factor).

            Examples:
              vtok compare samples/sample.mp4 out/sample.mp4
              vtok compare clip.mp4 clip-out.mp4 --json | jq .mean
              vtok compare clip.mp4 clip-out.mp4 --tokens clip.vtok --plot quality.png
              vtok compare clip.mp4 clip-out.mp4 --side-by-side diff.mp4

            --plot draws per-frame PSNR and SSIM and, with --tokens, the code-usage histogram (needs gnuplot).
            --side-by-side writes original | reconstruction | difference x --amplify (needs the ffmpeg program).

            Exit status: 0 when both videos were read and have the same frame count; 1 when one cannot be read or
            the frame counts differ (the frames in common are still compared); 2 when --plot or --side-by-side
            cannot be written; 64 usage.
            """)

    @Argument(help: "The original video (or picture, or numbered sequence such as in_%04d.png).")
    var reference: String

    @Argument(help: "The reconstruction, e.g. the output of vtok decode.")
    var reconstruction: String

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("Write a PNG of per-frame PSNR/SSIM (and code usage, with --tokens).", valueName: "file.png"))
    var plot: String?

    @Option(help: ArgumentHelp("The token stream the reconstruction was decoded from: code usage and its temporal factor.",
                               valueName: "stream.vtok"))
    var tokens: String?

    @Option(help: ArgumentHelp("Write original | reconstruction | amplified difference as a video.", valueName: "out.mp4"))
    var sideBySide: String?

    @Option(help: "How much the difference panel of --side-by-side is amplified.")
    var amplify: Int = 4

    @Option(help: "Frames per latent group after the first frame (taken from --tokens when given).")
    var temporalFactor: Int = 4

    @Flag(name: .shortAndLong, help: "No progress line on a terminal.")
    var quiet = false

    func validate() throws {
        guard (1...255).contains(amplify) else { throw ValidationError("--amplify must be 1...255") }
        guard temporalFactor >= 1 else { throw ValidationError("--temporal-factor must be positive") }
        if let plot, !plot.lowercased().hasSuffix(".png") { throw ValidationError("--plot writes a PNG: name it .png") }
    }

    func run() throws {
        var stats: StreamStats?
        if let tokens { stats = try readTokens(tokens) }
        let factor = stats?.header?.temporalFactor ?? temporalFactor
        let result: Comparison
        do {
            result = try Comparison.run(reference: reference, reconstruction: reconstruction, temporalFactor: factor,
                                        meter: ProgressMeter("compare", quiet: quiet))
        } catch let e as CLIError {
            Terminal.error(e.description)
            throw ExitCode(ExitCodes.failure)
        }
        if json {
            var o = result.json()
            if let tokens { o["tokens"] = tokens }
            print(try JSONOutput.render(o))
        } else {
            print(result.table())
        }
        do {
            if let plot { try result.plot(counts: stats?.counts, tokensName: tokens).write(to: plot) }
            if let sideBySide {
                try SideBySide.write(reference: reference, reconstruction: reconstruction, output: sideBySide,
                                     amplify: amplify)
            }
        } catch let e as ToolError {
            Terminal.error(e.description)
            throw ExitCode(e.exitCode)
        }
        if result.referenceFrames != result.reconstructionFrames {
            Terminal.error("the reference has \(result.referenceFrames) frames and the reconstruction "
                           + "\(result.reconstructionFrames): compared the first \(result.frames.count)")
            throw ExitCode(ExitCodes.failure)
        }
    }

    private func readTokens(_ path: String) throws -> StreamStats {
        var stats = StreamStats()
        var reader = StreamReader()
        do {
            let source = try ByteSource(path: path)
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = try source.read(into: &buffer)
                if n == 0 { break }
                reader.feed(buffer[0..<n])
                while let event = try reader.next() { stats.add(event) }
            }
        } catch {
            Terminal.error("--tokens \(path): \(error)")
            throw ExitCode(ExitCodes.failure)
        }
        guard stats.header != nil else {
            Terminal.error(UserMessage.noVideo(input: path, end: stats.end.map { ("\($0.reason)", $0.message) }))
            throw ExitCode(ExitCodes.failure)
        }
        return stats
    }
}
