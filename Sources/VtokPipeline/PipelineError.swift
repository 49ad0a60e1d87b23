// Errors of the media <-> engine <-> stream pipeline, each naming the stage it came from.
import VtokEngine
import VtokMedia
import VtokStream

public enum PipelineError: Error, CustomStringConvertible {
    /// The input could not be opened or read (FFmpeg).
    case media(MediaError)
    /// The model refused the frames or tokens (size not a multiple of the spatial factor, bad token).
    case engine(EngineError)
    /// The token stream is malformed beyond recovery, or the writer refused a value.
    case stream(StreamError)
    /// The token stream was made by another model than the one loaded.
    case modelMismatch(stream: String, loaded: String)
    /// A token stream whose segments have different frame sizes cannot go into one video file.
    case segmentSizeChanged(from: String, to: String)
    /// Writing the output failed (the reader went away, disk full).
    case output(String)
    /// A stream header declares frames larger than the decoder's `maxPixels` (nothing was allocated for them).
    case tooManyPixels(size: String, limit: Int)
    /// The stream's frame timestamps do not increase (a damaged or crafted stream): the frames before stay written.
    case timestampsNotIncreasing(previous: Int64, next: Int64)

    public var description: String {
        switch self {
        case .media(let e): return e.description
        case .engine(let e): return "\(e)"
        case .stream(let e): return "token stream: \(e)"
        case let .modelMismatch(stream, loaded):
            return "the stream was made by model \(stream), but \(loaded) is loaded (use --model)"
        case let .segmentSizeChanged(from, to):
            return "a stream segment changes the frame size from \(from) to \(to); decode stops at the change"
        case .output(let why): return "cannot write output: \(why)"
        case let .tooManyPixels(size, limit):
            return "the stream declares \(size) frames, over the limit of \(limit) pixels (--max-pixels)"
        case let .timestampsNotIncreasing(previous, next):
            return "the stream's timestamps go backwards (pts \(next) after \(previous)); decode stops there"
        }
    }
}

extension PipelineError {
    /// Classifies an error thrown while decoding: the engine's and the media writer's keep their type; anything
    /// else happened while writing the output.
    init(decoding error: any Error) {
        switch error {
        case let e as EngineError: self = .engine(e)
        case let e as MediaError: self = .media(e)
        default: self = .output("\(error)")
        }
    }
}
