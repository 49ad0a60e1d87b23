// `vtok compare --side-by-side OUT`: original | reconstruction | amplified difference, side by side, made by
// FFmpeg's own filters (scale2ref, blend, hstack) through the ffmpeg program that setup.sh installs. The
// graph runs on planar RGB (gbrp) so the difference is per colour channel, as compare measures it.
//
//   ffmpeg -i REF -i REC -filter_complex
//     [1:v][0:v]scale2ref=flags=bicubic[rec][ref];
//     [ref]setpts=PTS-STARTPTS,format=gbrp,split[r1][r2]; [rec]setpts=PTS-STARTPTS,format=gbrp,split[c1][c2];
//     [r2][c2]blend=all_expr='min(abs(A-B)*4,255)'[d]; [r1][c1][d]hstack=inputs=3:shortest=1,pad=even,format=yuv420p
enum SideBySide {
    static func graph(amplify: Int) -> String {
        [
            "[1:v][0:v]scale2ref=flags=bicubic[rec][ref]",
            "[ref]setpts=PTS-STARTPTS,format=gbrp,split[r1][r2]",
            "[rec]setpts=PTS-STARTPTS,format=gbrp,split[c1][c2]",
            "[r2][c2]blend=all_expr='min(abs(A-B)*\(amplify),255)'[d]",
            "[r1][c1][d]hstack=inputs=3:shortest=1,pad=ceil(iw/2)*2:ceil(ih/2)*2,format=yuv420p[v]",
        ].joined(separator: ";")
    }

    static func write(reference: String, reconstruction: String, output: String, amplify: Int) throws {
        let args = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", reference, "-i", reconstruction,
                    "-filter_complex", graph(amplify: amplify), "-map", "[v]", "-an", output]
        try ExternalTool.run("ffmpeg", package: "ffmpeg", purpose: "--side-by-side", arguments: args)
    }
}
