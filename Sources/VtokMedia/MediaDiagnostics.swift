// Non-fatal trouble a reader ran into: skipped packets, corrupt frames, truncation.

/// Problems the reader survived. Frames are never dropped silently: this is where losses are counted.
public struct MediaDiagnostics: Sendable, Equatable {
    /// Frames that came out of the decoder.
    public var decodedFrames = 0
    /// Frames returned by `nextFrame()` (differs from decodedFrames when resampling).
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

    public init() {}
}
