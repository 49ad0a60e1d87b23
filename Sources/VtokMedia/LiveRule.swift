// When the reader switches to low-latency mode on its own.
import CFFmpeg
import Glibc

/// The automatic live rule. An input is live when any of these hold:
/// 1. it is a pipe: a file descriptor (also `-` = stdin, `pipe:N`) that is a FIFO, socket, or character
///    device (a redirected regular file is not live);
/// 2. it is a capture device: the path is a character device (e.g. /dev/video0) or the forced format is a
///    libavdevice input (video4linux2, x11grab, ...);
/// 3. it is a real-time network protocol: rtsp, rtmp(s), rtp, udp, srt, tcp, rist.
/// Regular files and http(s) downloads are not live. `MediaReaderOptions.live` overrides the rule.
public enum LiveRule {
    static let streamingSchemes: Set<String> = ["rtsp", "rtsps", "rtmp", "rtmps", "rtp", "udp", "srt", "tcp", "rist"]

    public static func isLive(url: String, fileDescriptor: Int32?, format: String?) -> Bool {
        if let fd = fileDescriptor { return isStreamDescriptor(fd) }
        if url == "-" { return isStreamDescriptor(0) }
        if url.hasPrefix("pipe:") { return isStreamDescriptor(Int32(url.dropFirst(5)) ?? 0) }
        if let format, isDeviceFormat(format) { return true }
        if let scheme = url.split(separator: ":", maxSplits: 1).first, url.contains("://"),
           streamingSchemes.contains(scheme.lowercased()) {
            return true
        }
        var st = stat()
        if stat(url, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR { return true }
        return false
    }

    /// FIFO, socket or character device (a terminal, /dev/video*): anything that is not a seekable file.
    static func isStreamDescriptor(_ fd: Int32) -> Bool {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return true }
        let kind = st.st_mode & S_IFMT
        return kind == S_IFIFO || kind == S_IFSOCK || kind == S_IFCHR
    }

    /// Whether `name` is one of libavdevice's video input formats (loading them when it is not a libavformat one).
    static func isDeviceFormat(_ name: String) -> Bool {
        _ = MediaLog.bootstrap
        guard let format = MediaDevices.inputFormat(named: name) else { return false }
        return MediaDevices.isVideoInputDevice(format)
    }
}
