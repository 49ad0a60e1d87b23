// What the reader knows about its input: container, codec, sizes, rate, time base, liveness.

/// Metadata of an open input. Sizes describe the current segment (they change at a `.sizeChanged` event).
public struct MediaInfo: Sendable, Equatable {
    /// What was opened: a path, URL, or "pipe:N" for a file descriptor.
    public var url: String
    /// FFmpeg's demuxer name, e.g. "matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2", "nut", "video4linux2,v4l2".
    public var containerName: String
    /// Decoder codec name, e.g. "h264".
    public var codecName: String
    public var sourceSize: FrameSize
    public var outputSize: FrameSize
    /// The stream's (guessed) frame rate; 0/1 when unknown. With `options.frameRate` set, that rate.
    public var frameRate: Rational
    /// The time base of `VideoFrame.pts`: the stream's, or 1/frameRate when resampling.
    public var timeBase: Rational
    /// Whether low-latency settings are in effect.
    public var isLive: Bool
    /// The container's display rotation as FFmpeg's av_display_rotation_get gives it (degrees; -90 for a
    /// picture to turn a quarter clockwise), 0 when there is none. Applied unless `autorotate` is off.
    public var rotation: Int = 0
    /// The input's duration in seconds when the container records it (files); nil for pipes and devices.
    public var durationSeconds: Double? = nil
    /// Quarter turns clockwise applied to every frame (0...3): from `rotation`, when it is a multiple of 90.
    public var appliedQuarterTurns: Int = 0
}
