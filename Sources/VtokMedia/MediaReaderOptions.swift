// What a MediaReader opens and how it shapes its output.

/// Options for `MediaReader`. The defaults suit a file fed to the tokeniser: short side 256, factor 8,
/// bilinear, source frame rate, live mode decided automatically.
public struct MediaReaderOptions: Sendable {
    /// Force the input format, like `ffmpeg -f` (e.g. "nut", "matroska", "mpegts", "yuv4mpegpipe",
    /// "video4linux2", "lavfi"). nil: FFmpeg probes.
    public var format: String?
    /// Low-latency mode. nil: automatic, see `LiveRule`.
    public var live: Bool?
    /// Output size policy (see `SizePolicy.plan`).
    public var size: SizeRequest = .shortSide(256)
    /// The model's spatial factor: output sides are multiples of it.
    public var spatialFactor: Int = 8
    /// Centre-crop the source to the output aspect before scaling, so nothing is distorted.
    public var crop: Bool = false
    public var scaling: ScalingAlgorithm = .bilinear
    /// Resample to this constant frame rate (drop/duplicate by timestamp, like ffmpeg's fps filter).
    /// nil: every source frame is emitted at its own pts.
    public var frameRate: Rational?
    /// Largest accepted source frame (width * height); larger frames throw `.tooManyPixels`.
    public var maxPixels: Int = 8192 * 4320
    /// Extra demuxer / device options passed to `avformat_open_input`, e.g. for V4L2
    /// `["video_size": "640x480", "framerate": "30", "input_format": "mjpeg"]`. They override the live defaults.
    public var formatOptions: [String: String] = [:]
    /// Turn frames upright as the container's display rotation says (a phone's portrait video), as the ffmpeg
    /// tool does; sizes (`size`, `crop`, the reported source size) are then those of the upright picture.
    public var autorotate: Bool = true
    /// Decoder threads (0: FFmpeg decides). Live mode uses slice threads only, so no frame is held back.
    public var decoderThreads: Int = 0

    public init() {}

    public init(size: SizeRequest, frameRate: Rational? = nil, crop: Bool = false) {
        self.size = size
        self.frameRate = frameRate
        self.crop = crop
    }
}
