// What an encode run needs: the model, how frames are sized and paced, limits, and stream settings.
import VtokEngine
import VtokMedia

/// Where the media comes from.
public enum MediaInput: Sendable, CustomStringConvertible {
    /// A file path, "-" for stdin, a device such as /dev/video0, or any URL FFmpeg opens.
    case path(String)
    /// An open descriptor (a pipe or a connected socket); not closed by the pipeline.
    case fileDescriptor(Int32)

    public var description: String {
        switch self {
        case .path(let p): return p == "-" ? "stdin" : p
        case .fileDescriptor(let fd): return "fd \(fd)"
        }
    }
}

/// Per-run limits. A limit reached ends the stream cleanly with END(limitExceeded).
public struct EncodeLimits: Sendable, Equatable {
    /// Source frames at most (nil: no limit).
    public var maxFrames: Int?
    /// Stream duration at most, in seconds of media time (nil: no limit).
    public var maxSeconds: Double?
    public init(maxFrames: Int? = nil, maxSeconds: Double? = nil) {
        self.maxFrames = maxFrames
        self.maxSeconds = maxSeconds
    }
}

/// What to do when the source's frame size changes mid-stream.
public enum SizeChangePolicy: String, Sendable, CaseIterable {
    /// Finish the current segment and start a new one with a new HEADER (the default).
    case newSegment = "segment"
    /// End the stream with END(sourceChanged).
    case fail
}

public struct EncodeOptions: @unchecked Sendable {   // VtokModel is immutable after init
    public var model: VtokModel
    /// Frame sizing, rate and input format, handed to the media reader.
    public var media: MediaReaderOptions
    public var limits: EncodeLimits
    /// Also write the continuous (pre-rounding) latents in each TOKENS packet.
    public var continuous: Bool
    /// Repeat the HEADER after this many latent frames so a reader can join mid-stream; 0 never.
    public var headerRepeat: Int
    public var onSizeChange: SizeChangePolicy
    /// The library, threads and 3x3 algorithm of every encoder session the run creates.
    public var compute: ComputeOptions

    public init(model: VtokModel, media: MediaReaderOptions = MediaReaderOptions(), limits: EncodeLimits = EncodeLimits(),
                continuous: Bool = false, headerRepeat: Int = 32, onSizeChange: SizeChangePolicy = .newSegment,
                compute: ComputeOptions = .default) {
        self.model = model
        self.media = media
        self.media.spatialFactor = model.config.spatialFactor
        self.limits = limits
        self.continuous = continuous
        self.headerRepeat = headerRepeat
        self.onSizeChange = onSizeChange
        self.compute = compute
    }
}
