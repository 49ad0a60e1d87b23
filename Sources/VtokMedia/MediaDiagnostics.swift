// Non-fatal trouble a reader ran into: skipped packets, corrupt frames, truncation, and what only FFmpeg's log said.

/// Problems the reader survived. Frames are never dropped silently: this is where losses are counted.
public struct MediaDiagnostics: Sendable, Equatable {
    /// Frames that came out of the decoder.
    public var decodedFrames = 0
    /// Frames returned by `next()` (differs from decodedFrames when resampling).
    public var emittedFrames = 0
    /// Packets the decoder rejected (`avcodec_send_packet` / `avcodec_receive_frame` errors); skipped.
    public var skippedPackets = 0
    /// Decoded frames FFmpeg flagged as corrupt (concealed errors); still emitted.
    public var corruptFrames = 0
    /// Timestamps that were missing or not increasing and were synthesized.
    public var repairedTimestamps = 0
    /// Places where the pts jumped forward by more than two nominal frame durations: data the demuxer
    /// skipped (corruption) or a variable-frame-rate pause. A hint, not a proof.
    public var timestampGaps = 0
    /// The input ended with a read error, or before its announced frame count or duration: the stream
    /// ended after the frames that could be decoded.
    public var truncated = false
    /// The error that ended reading, if it was not a clean end of file.
    public var readError: FFmpegError?
    /// The first error lines FFmpeg logged for this reader, without their "[name @ 0x...] " prefix (at most
    /// 16). Some damage is only said there: a file cut short that arrives through a pipe ("File ended
    /// prematurely"), a damaged container whose frames the demuxer drops.
    public var ffmpegErrors: [String] = []
    /// How many error lines FFmpeg logged for this reader in all.
    public var ffmpegErrorCount = 0
    /// Whether one of those lines says the input was cut short.
    public var ffmpegSaysTruncated = false

    public init() {}

    /// What was damaged, in words, e.g. ["2 packet(s) skipped", "truncated", "FFmpeg: File ended
    /// prematurely"]; empty for an intact input. Timestamp repairs and gaps are not damage (variable rates).
    public var damage: [String] {
        [skippedPackets > 0 ? "\(skippedPackets) packet(s) skipped" : nil,
         corruptFrames > 0 ? "\(corruptFrames) corrupt frame(s) concealed" : nil,
         truncated || ffmpegSaysTruncated ? "truncated" : nil,
         ffmpegErrors.first.map { "FFmpeg: \($0)" }].compactMap { $0 }
    }

    /// `damage` as one line, or nil for an intact input.
    public var damageSummary: String? { damage.isEmpty ? nil : damage.joined(separator: ", ") }

    /// Whether an FFmpeg log line says the input was cut short.
    static func saysTruncated(_ line: String) -> Bool {
        let s = line.lowercased()
        return s.contains("ended prematurely") || s.contains("partial file") || s.contains("truncat")
    }
}
