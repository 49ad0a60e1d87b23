// vtok: streaming video tokeniser. The command line is thin: each subcommand parses its arguments and calls
// the library (VtokPipeline for encode/decode, VtokServer for serve, VtokEngine for bench).
import ArgumentParser
import Foundation
import VtokMedia
import Glibc

struct Vtok: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vtok",
        abstract: "Turn video into discrete tokens as frames arrive, and tokens back into video.",
        discussion: """
            Examples:
              vtok encode clip.mp4 -o clip.vtok            tokenise a file
              ffmpeg -i cam.mp4 -f nut - | vtok encode - | consumer
              vtok encode /dev/video0 > live.vtok          a V4L2 camera
              vtok decode clip.vtok -o clip.mp4            tokens back to video
              vtok decode - -o - < clip.vtok | ffplay -     play live
              vtok info clip.vtok --json                   header, counts, codebook use
              vtok serve --socket /run/vtok/vtok.sock      the daemon
              vtok compare clip.mp4 clip-out.mp4 --plot q.png   per-frame PSNR/SSIM, a plot
              vtok eval clip.mp4                           the round trip and its PSNR/SSIM
              vtok bench                                   speed on this machine

            Exit status (every command):
              0    success
              1    the input is bad, damaged, truncated or missing, or the work failed (the message says which)
              2    the output could not be written (a full disk, a closed pipe, a folder that does not exist)
              64   usage: an unknown option, a missing or malformed argument
            Errors are one line on stderr beginning 'vtok:'. `vtok --version` names the model and libraries.
            """,
        version: VtokVersion.string,
        subcommands: [EncodeCommand.self, DecodeCommand.self, InfoCommand.self, CompareCommand.self, EvalCommand.self,
                      ServeCommand.self,
                      BenchCommand.self])
}

// FFmpeg's own log stays off stderr: vtok reports problems in one line of its own (each reader keeps
// FFmpeg's errors for that, MediaDiagnostics). VTOK_FFMPEG_LOG=warning (or info, debug) also shows FFmpeg's lines; `vtok serve`
// routes them to its log instead.
FFmpegLog.install(echo: ProcessInfo.processInfo.environment["VTOK_FFMPEG_LOG"].flatMap { name in
    MediaLogLevel.allCases.first { "\($0)" == name }
})

// A closed stdout (`vtok encode clip | head -c 100`) is a write error with exit status 2, not death by SIGPIPE.
signal(SIGPIPE, SIG_IGN)
// `vtok --version` (and `-V`) names the model and the libraries too, not only vtok's own version.
if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) || CommandLine.arguments.dropFirst().elementsEqual(["-V"]) {
    print(VtokVersion.long())
    exit(0)
}
Vtok.main()
