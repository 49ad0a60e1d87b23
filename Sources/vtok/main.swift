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
              vtok bench                                   speed on this machine
            """,
        version: VtokVersion.string,
        subcommands: [EncodeCommand.self, DecodeCommand.self, InfoCommand.self, ServeCommand.self, BenchCommand.self])
}

// FFmpeg's own log stays off stderr: vtok reports problems in one line of its own (FFmpegProblems keeps
// FFmpeg's errors for that). VTOK_FFMPEG_LOG=warning (or info, debug) also shows FFmpeg's lines; `vtok serve`
// routes them to its log instead.
FFmpegProblems.install(echo: ProcessInfo.processInfo.environment["VTOK_FFMPEG_LOG"].flatMap { name in
    MediaLogLevel.allCases.first { "\($0)" == name }
})

// A closed stdout (`vtok encode clip | head -c 100`) is a write error with exit status 2, not death by SIGPIPE.
signal(SIGPIPE, SIG_IGN)
Vtok.main()
