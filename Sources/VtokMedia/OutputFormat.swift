// Which muxer and encoder a MediaWriter uses, decided the way the ffmpeg CLI decides.
import CFFmpeg

/// The format rules:
/// - the muxer follows the extension (.mp4, .mkv, .y4m, .nut, .avi, ...); "-" and file descriptors
///   default to "nut" (streamable, keeps exact timestamps, `ffplay -` reads it);
/// - the encoder is libx264 (yuv420p, crf 18) whenever libx264 is compiled in and the muxer can hold
///   H.264; image files (.png, .jpg, out_%04d.png: the image2 muxer) get the image codec of their extension
///   (OutputFormat+Images.swift); y4m gets raw yuv420p (wrapped_avframe, what FFmpeg 5.1's y4m muxer requires); otherwise the muxer's default encoder, falling back to mpeg4.
public enum OutputFormat {
    /// Default muxer for pipes and stdout.
    public static let pipeDefault = "nut"

    /// The muxer name to force, or nil to let FFmpeg guess from `path`.
    static func muxerName(path: String, isPipe: Bool, override: String?) -> String? {
        override ?? (isPipe ? pipeDefault : nil)
    }

    /// Picks the encoder for `muxer` (see the type's rules).
    static func encoder(for muxer: UnsafePointer<AVOutputFormat>, path: String? = nil, override: String?) throws(MediaError)
        -> UnsafePointer<AVCodec> {
        if let name = override {
            guard let codec = avcodec_find_encoder_by_name(name) else { throw MediaError.encoderMissing(codec: name) }
            return codec
        }
        let muxerName = String(cString: muxer.pointee.name)
        if let image = try imageEncoder(muxer: muxer, path: path) { return image }
        if muxerName == "yuv4mpegpipe" {
            // FFmpeg 5.1's y4m muxer takes raw pictures only as wrapped_avframe (it rejects rawvideo).
            guard let raw = avcodec_find_encoder(AV_CODEC_ID_WRAPPED_AVFRAME) else {
                throw MediaError.encoderMissing(codec: "wrapped_avframe")
            }
            return raw
        }
        if let x264 = avcodec_find_encoder_by_name("libx264"),
           avformat_query_codec(muxer, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) == 1 {
            return x264
        }
        if muxer.pointee.video_codec != AV_CODEC_ID_NONE, muxer.pointee.video_codec != AV_CODEC_ID_H264,
           let fallback = avcodec_find_encoder(muxer.pointee.video_codec) {
            return fallback
        }
        guard let mpeg4 = avcodec_find_encoder(AV_CODEC_ID_MPEG4) else {
            throw MediaError.encoderMissing(codec: "mpeg4")
        }
        return mpeg4
    }

    /// Whether the muxer is ISO-BMFF (mp4/mov), which needs fragmenting to be written to a pipe.
    static func isMP4Family(_ muxer: UnsafePointer<AVOutputFormat>) -> Bool {
        let name = String(cString: muxer.pointee.name)
        return ["mp4", "mov", "ipod", "ismv", "3gp", "3g2", "f4v", "psp"].contains(name)
    }
}
