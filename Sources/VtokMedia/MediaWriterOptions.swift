// How a MediaWriter picks its format, encoder and quality.

/// Options for `MediaWriter`.
public struct MediaWriterOptions: Sendable {
    /// Force the muxer, like `ffmpeg -f` ("mp4", "matroska", "nut", "yuv4mpegpipe", "avi", ...).
    /// nil: from the file extension; "nut" when writing to a pipe or stdout.
    public var format: String?
    /// Force the encoder by name ("libx264", "mpeg4", "rawvideo", "ffv1", ...). nil: see `OutputFormat`.
    public var codec: String?
    /// libx264 constant rate factor (lower is better; 18 is visually lossless for most content).
    public var crf: Int = 18
    /// libx264 preset. nil: "fast", or "veryfast" when live.
    public var preset: String?
    /// mpeg4 fixed quantiser (1 best ... 31 worst), used when libx264 is not chosen.
    public var mpeg4Quantizer: Int = 2
    /// Live output: libx264 `tune=zerolatency`, packets flushed as they are written, fragmented mp4.
    /// nil: on when the output is a pipe, socket or terminal (stdout redirected to a file is not live).
    public var live: Bool?
    /// The size of the frames passed to `write`, when it differs from the output size: swscale scales them
    /// (bicubic). nil: the frames have the output size.
    public var inputSize: FrameSize?
    /// Extra muxer options for `avformat_write_header` (e.g. `["movflags": "+faststart"]`).
    public var muxerOptions: [String: String] = [:]

    public init() {}

    public init(format: String? = nil, codec: String? = nil, live: Bool? = nil) {
        self.format = format
        self.codec = codec
        self.live = live
    }
}
