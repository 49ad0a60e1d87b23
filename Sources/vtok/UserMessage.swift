// What went wrong, in vtok's words and with what the user can do, and the library's own detail after it:
// "cannot write 'out.png': FFmpeg's png encoder refused the picture settings (FFmpeg: avcodec_open2: Invalid
// argument)" rather than "avcodec_open2 failed: Invalid argument (-22)" alone.
import VtokEngine
import VtokMedia
import VtokPipeline

enum UserMessage {
    /// Why a weights file did not load.
    static func weights(_ error: any Error) -> String {
        guard let e = error as? WeightsError else { return "\(error)" }
        switch e {
        case .cannotRead: return "the file cannot be read"
        case let .tooLarge(bytes, limit):
            return "the file is \(bytes) bytes, more than any vtok weights file (at most \(limit)): is it the right file?"
        case let .truncated(needed, available):
            return "the file is cut short (\(available) bytes where \(needed) are needed): copy or download it again"
        case .badHeader(let why): return "not a safetensors weights file (\(why))"
        case .badOffsets(let tensor): return "the file is damaged (tensor '\(tensor)' lies outside its data)"
        case .notVtokFile: return "a safetensors file, but not vtok weights (its __metadata__.format is not vtok-weights)"
        case .unsupportedConfigVersion(let v):
            return "the weights need a newer vtok (model config version \(v)): update vtok"
        default: return "the weights do not fit this vtok (\(e))"
        }
    }

    /// An FFmpeg failure as the detail after vtok's own words: "FFmpeg: avcodec_open2: Invalid argument".
    static func ffmpegDetail(_ e: FFmpegError) -> String { "FFmpeg: \(e.function): \(e.message)" }

    /// A failure while writing decoded video to `output`.
    static func writing(_ error: MediaError, output: String) -> String {
        let target = output == "-" ? "the output" : "'\(output)'"
        switch error {
        case .unknownFormat(let name):
            return "cannot write \(target): FFmpeg has no muxer for '\(name)': use a known extension "
                + "(.mp4, .mkv, .nut, .y4m, .png, .jpg) or -f FORMAT"
        case .devicesUnavailable(let name, let reason):
            return "cannot write \(target): FFmpeg has no muxer for '\(name)', and its device formats could not be "
                + "loaded (\(reason)): install libavdevice59 for output devices"
        case .encoderMissing(let codec):
            return "cannot write \(target): this FFmpeg has no '\(codec)' encoder: choose another with --codec"
        case .cannotOpen(_, let e):
            return "cannot write \(target): the file cannot be created: check the folder exists and is writable (\(ffmpegDetail(e)))"
        case .ffmpeg(let e) where e.function == "avcodec_open2":
            return "cannot write \(target): the encoder refused the picture settings: choose another --codec or "
                + "output format (\(ffmpegDetail(e)))"
        case .ffmpeg(let e) where e.function == "avformat_write_header":
            return "cannot write \(target): the container cannot hold this video: choose another format with -f "
                + "(\(ffmpegDetail(e)))"
        case .ffmpeg(let e):
            return "cannot write \(target): \(ffmpegDetail(e))"
        case .invalidSize(let why):
            return "cannot write \(target): \(why): choose another --size"
        case .invalidOption(let why):
            return "cannot write \(target): \(why)"
        default:
            return "cannot write \(target): \(error)"
        }
    }

    /// Why a video could not be read (compare), FFmpeg's detail last.
    static func reading(_ error: any Error) -> String {
        guard let e = error as? MediaError else { return "\(error)" }
        switch e {
        case .cannotOpen(_, let f):
            return "not a video FFmpeg can open: check the path, or that the file is whole (\(ffmpegDetail(f)))"
        case .noVideoStream: return "it has no video stream"
        case .noFrames: return "not a single frame could be decoded"
        case .ffmpeg(let f): return "decoding failed (\(ffmpegDetail(f)))"
        default: return "\(e)"
        }
    }

    /// A failed encode run, reading `input`.
    static func encoding(_ failure: PipelineError, input: String) -> String {
        guard case .media(let e) = failure else { return "\(input): \(failure)" }
        let name = input == "-" ? "stdin" : "'\(input)'"
        switch e {
        case .cannotOpen(_, let f) where f.message.lowercased().contains("no such file"):
            return "cannot open \(name): no such file: check the path (\(ffmpegDetail(f)))"
        // AVERROR_INVALIDDATA (FFERRTAG 'INDA'): the message may be the demuxer's own words instead.
        case .cannotOpen(_, let f) where f.code == -1_094_995_529 || f.message.lowercased().contains("invalid data"):
            return "cannot open \(name): not a video FFmpeg recognises: check it is a whole video file, or name "
                + "its format with -f (\(ffmpegDetail(f)))"
        case .cannotOpen(_, let f):
            return "cannot open \(name) (\(ffmpegDetail(f)))"
        case .noVideoStream:
            return "\(name) has no video stream (audio or data only): give a video, a picture or a camera"
        case .unknownFormat(let format):
            return "FFmpeg has no input format '\(format)' (-f): `ffmpeg -demuxers` lists them"
        case .devicesUnavailable(let format, let reason):
            return "FFmpeg has no input format '\(format)' (-f), and its device formats (cameras, screens, lavfi) could "
                + "not be loaded: install libavdevice59 (\(reason))"
        default:
            return "\(input): \(failure)"
        }
    }

    /// A failed decode run, writing to `output`.
    static func decoding(_ failure: PipelineError, input: String, output: String) -> String {
        switch failure {
        case .media(let e): return writing(e, output: output)
        case .output(let why) where why.contains("av_") || why.contains("avio"):
            return "cannot write \(output == "-" ? "the output" : "'\(output)'"): \(why)"
        default: return "\(input): \(failure)"
        }
    }

    /// A stream that has no HEADER, said the same way by `info` and `decode`.
    static func noVideo(input: String, end: (reason: String, message: String)?) -> String {
        guard let end else { return "\(input): not a vtok token stream (no header found)" }
        return "\(input): the token stream holds no video (END \(end.reason)" + (end.message.isEmpty ? "" : ": \(end.message)")
            + "): it has an END packet and no header or frames before it"
    }
}
