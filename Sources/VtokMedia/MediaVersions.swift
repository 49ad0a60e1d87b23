// The FFmpeg this process loaded, for `vtok --version` and bug reports.
import CFFmpeg

public enum MediaVersions {
    /// "FFmpeg 5.1.6-0+deb12u1 (libavformat 59.27.100, libavcodec 59.37.100, libswscale 6.7.100, libavutil 57.28.100)".
    public static var ffmpeg: String {
        func v(_ n: UInt32) -> String { "\(n >> 16).\((n >> 8) & 0xff).\(n & 0xff)" }
        let release = av_version_info().map { String(cString: $0) } ?? "unknown"
        return "FFmpeg \(release) (libavformat \(v(avformat_version())), libavcodec \(v(avcodec_version())), "
            + "libswscale \(v(swscale_version())), libavutil \(v(avutil_version())))"
    }
}
