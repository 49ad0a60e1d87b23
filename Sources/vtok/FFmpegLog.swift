// FFmpeg's own log and the command line. The CLI keeps FFmpeg's lines off stderr (one line of vtok's own per
// problem); what they say about damage is collected per reader in VtokMedia (MediaDiagnostics.ffmpegErrors), so
// `vtok encode` and the daemon report the same thing.
import Foundation
import VtokMedia

enum FFmpegLog {
    /// Installs the handler: prints every line at or above `echo` (VTOK_FFMPEG_LOG), nothing otherwise.
    static func install(echo: MediaLogLevel?) {
        MediaLog.setLevel(max(echo ?? .error, .error))
        MediaLog.setHandler { level, line in
            if let echo, level <= echo { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
    }
}
