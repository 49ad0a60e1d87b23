// Typed errors for media input and output. Each C failure names the FFmpeg function and its
// av_strerror text, so a one-line description is enough to diagnose it.
import CFFmpeg

/// A failed FFmpeg call: the function, its negative return code and `av_strerror`'s text.
public struct FFmpegError: Error, Hashable, Sendable, CustomStringConvertible {
    public var function: String
    public var code: Int32
    public var message: String

    public init(function: String, code: Int32) {
        self.function = function
        self.code = code
        self.message = FFmpegError.text(for: code)
    }

    public var description: String { "\(function) failed: \(message) (\(code))" }

    /// `av_strerror` for `code` (falls back to strerror-like text FFmpeg provides for unknown codes).
    static func text(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = buffer.withUnsafeMutableBufferPointer { av_strerror(code, $0.baseAddress, $0.count) }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Everything that can go wrong reading or writing media: every throwing function of VtokMedia throws this
/// and nothing else. (A frame-size change is not an error: `MediaReader.next()` returns it as an event.)
public enum MediaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input could not be opened or is not a container FFmpeg recognises
    /// (`avformat_open_input` / `avformat_find_stream_info`).
    case cannotOpen(url: String, FFmpegError)
    /// The forced input or output format name is unknown to FFmpeg (`av_find_input_format`,
    /// `avformat_alloc_output_context2`).
    case unknownFormat(String)
    /// The forced format name is not one of libavformat's, and FFmpeg's device formats (libavdevice, opened on
    /// demand: video4linux2, x11grab, lavfi, ...) could not be loaded, so it may be a device this machine lacks.
    case devicesUnavailable(format: String, reason: String)
    /// The input has no video stream (`av_find_best_stream`), e.g. an audio-only file.
    case noVideoStream(url: String)
    /// No decoder for the stream's codec is compiled into libavcodec.
    case decoderMissing(codec: String)
    /// No usable encoder (`avcodec_find_encoder_by_name` / `avcodec_find_encoder`).
    case encoderMissing(codec: String)
    /// The input opened but not a single frame could be decoded.
    case noFrames(url: String)
    /// The source picture is larger than the configured `maxPixels`.
    case tooManyPixels(size: FrameSize, limit: Int)
    /// A requested size is impossible (zero, negative, or not a multiple of the spatial factor).
    case invalidSize(String)
    /// An option value that cannot work (a non-positive frame rate or time base, ...).
    case invalidOption(String)
    /// A frame handed to the writer does not match it (size, pixel count, or non-increasing pts).
    case invalidFrame(String)
    /// The writer was used after `finish()`.
    case writerFinished
    /// Any other failed FFmpeg call (reading, decoding, scaling, encoding, muxing).
    case ffmpeg(FFmpegError)

    public var description: String {
        switch self {
        case let .cannotOpen(url, error): return "cannot open '\(url)': \(error)"
        case let .unknownFormat(name): return "unknown media format '\(name)'"
        case let .devicesUnavailable(name, reason):
            return "unknown media format '\(name)', and FFmpeg's device formats could not be loaded (\(reason))"
        case let .noVideoStream(url): return "no video stream in '\(url)' (av_find_best_stream)"
        case let .decoderMissing(codec): return "no decoder for codec '\(codec)' in libavcodec"
        case let .encoderMissing(codec): return "no encoder '\(codec)' in libavcodec"
        case let .noFrames(url): return "no video frame could be decoded from '\(url)'"
        case let .tooManyPixels(size, limit): return "frame size \(size) exceeds the limit of \(limit) pixels"
        case let .invalidSize(why): return "invalid size: \(why)"
        case let .invalidOption(why): return "invalid option: \(why)"
        case let .invalidFrame(why): return "invalid frame: \(why)"
        case .writerFinished: return "media writer used after finish()"
        case let .ffmpeg(error): return error.description
        }
    }
}

/// Throws `MediaError.ffmpeg` when an FFmpeg call returned a negative code; returns the code otherwise.
@discardableResult
func check(_ code: Int32, _ function: String) throws(MediaError) -> Int32 {
    if code < 0 { throw .ffmpeg(FFmpegError(function: function, code: code)) }
    return code
}
