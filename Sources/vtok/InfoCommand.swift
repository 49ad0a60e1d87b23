// vtok info: what a token stream holds.
import ArgumentParser
import Foundation
import VtokStream

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a token stream's header, latent frames, duration, bit rate and codebook use.",
        discussion: """
            Examples:
              vtok info samples/sample.vtok
              vtok info clip.vtok --json | jq .utilisation
              vtok info clip.vtok --plot usage.png     code-usage histogram (x: token index, y: log count)
            Exits 1 when the stream is truncated or damaged.
            """)

    @Argument(help: "Token stream ('-' for stdin).")
    var input: String = "-"

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: ArgumentHelp("Write a PNG histogram of code usage.", valueName: "file.png"))
    var plot: String?

    func run() throws {
        var stats = StreamStats()
        let source: ByteSource
        do { source = try ByteSource(path: input) } catch {
            Terminal.error("\(error)")
            throw ExitCode(ExitCodes.failure)
        }
        var reader = StreamReader()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        do {
            while true {
                let n = try source.read(into: &buffer)
                if n == 0 { break }
                reader.feed(buffer[0..<n])
                while let event = try reader.next() { stats.add(event) }
            }
            reader.endInput()
            while let event = try reader.next() { stats.add(event) }
        } catch {
            Terminal.error("\(input): \(error)")
            throw ExitCode(ExitCodes.failure)
        }
        stats.truncated = stats.end == nil && reader.finish() != nil
        guard stats.header != nil else {
            Terminal.error(UserMessage.noVideo(input: input, end: stats.end.map { ("\($0.reason)", $0.message) }))
            throw ExitCode(ExitCodes.failure)
        }
        if json {
            print(try JSONOutput.render(stats.json()))
        } else {
            print(text(stats))
        }
        if let plot {
            do { try Plot.usage(counts: stats.counts, title: input).write(to: plot) } catch let e as ToolError {
                Terminal.error(e.description)
                throw ExitCode(e.exitCode)
            }
        }
        if let damage = stats.damage {
            Terminal.error("\(input): \(damage)")
            throw ExitCode(ExitCodes.failure)
        }
    }

    private func text(_ s: StreamStats) -> String {
        guard let h = s.header else { return "" }
        let sha = h.weightsSHA256.map { String(format: "%02x", $0) }.joined()
        var lines = [
            "model        \(h.modelName)  sha256 \(sha.prefix(16))..."
                + (h.encoderSHA256.map { "  encoder " + $0.prefix(8).map { String(format: "%02x", $0) }.joined() + "..." } ?? ""),
            "format       vtok token stream \(h.versionMajor).\(h.versionMinor), \(s.segments) segment(s)",
            "codes        FSQ levels \(h.levels.map(String.init).joined(separator: ",")) = \(h.vocabularySize), 16 bits per token",
            "grid         \(h.latentHeight)x\(h.latentWidth) tokens per latent frame, factors \(h.temporalFactor)x\(h.spatialFactor)x\(h.spatialFactor)",
            "frames       source \(h.sourceSize), model \(h.modelSize), \(h.frameRate.num)/\(h.frameRate.den) fps, time base \(h.timeBase.num)/\(h.timeBase.den)",
            "latents      \(s.latentFrames) latent frames for \(s.frames) frames, \(s.tokens) tokens",
        ]
        if let d = s.durationSeconds {
            lines.append(String(format: "duration     %.3f s, %.1f kbit/s of tokens", d, Double(s.tokens) * 16 / d / 1000))
        }
        lines.append(String(format: "codebook     %d distinct codes (%.2f%% of %d), entropy %.2f bits/token",
                            s.distinctCodes, 100 * Double(s.distinctCodes) / Double(h.vocabularySize), h.vocabularySize,
                            s.entropyBits))
        if let e = s.end {
            lines.append("end          \(e.reason)\(e.message.isEmpty ? "" : ": \(e.message)") (\(e.framesIn) frames in, \(e.latentFramesOut) latent frames out)")
        } else if s.truncated {
            lines.append("end          none: the stream is truncated")
        }
        if s.corruptBytes > 0 || s.missingPackets > 0 {
            lines.append("damage       \(s.corruptBytes) corrupt bytes skipped, \(s.missingPackets) packets missing")
        }
        return lines.joined(separator: "\n")
    }
}
