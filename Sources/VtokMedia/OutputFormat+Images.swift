// Pictures as output: `out.png`, `frame.jpg`, `out_%04d.png`. FFmpeg's image2 muxer writes one file per frame;
// the codec follows the extension (av_guess_codec, as the ffmpeg CLI does), and the encoder's own pixel format
// is used (rgb24 for PNG, yuvj420p for JPEG), so swscale converts straight to it.
import CFFmpeg

extension OutputFormat {
    /// The image codec for the image2 muxers, from the file extension; nil for every other muxer.
    static func imageEncoder(muxer: UnsafePointer<AVOutputFormat>, path: String?) throws(MediaError) -> UnsafePointer<AVCodec>? {
        let name = String(cString: muxer.pointee.name)
        guard name == "image2" || name == "image2pipe" else { return nil }
        let id = av_guess_codec(muxer, nil, path, nil, AVMEDIA_TYPE_VIDEO)
        guard id != AV_CODEC_ID_NONE else { return nil }
        guard let codec = avcodec_find_encoder(id) else {
            throw MediaError.encoderMissing(codec: String(cString: avcodec_get_name(id)))
        }
        return codec
    }

    /// The encoder's first pixel format that swscale makes from RGB24 without loss of meaning: yuv420p (video
    /// codecs), yuvj420p (JPEG: full range, what its encoder accepts by default) or rgb24 (PNG); else the
    /// encoder's first format; yuv420p when the encoder lists none (rawvideo, wrapped_avframe).
    static func pixelFormat(for encoder: UnsafePointer<AVCodec>) -> AVPixelFormat {
        guard let list = encoder.pointee.pix_fmts else { return AV_PIX_FMT_YUV420P }
        let preferred = [AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_RGB24]
        var formats: [AVPixelFormat] = []
        var i = 0
        while list[i] != AV_PIX_FMT_NONE, i < 256 {
            formats.append(list[i])
            i += 1
        }
        return formats.first(where: preferred.contains) ?? formats.first ?? AV_PIX_FMT_YUV420P
    }

    /// An image2 output without a frame-number pattern (%d) and without `update`: it holds exactly one picture.
    static func isSingleImage(muxer: String, path: String, options: MediaWriterOptions) -> Bool {
        guard muxer == "image2", options.muxerOptions["update"] == nil else { return false }
        return path.withCString { av_filename_number_test($0) } == 0
    }
}

extension MediaWriter {
    /// A single image file takes one frame; a second one is refused before FFmpeg overwrites or fails on it.
    func checkSingleImage() throws(MediaError) {
        guard singleImage, framesWritten >= 1 else { return }
        throw MediaError.invalidOption("an image file holds one picture and the stream has more frames: "
                                       + "name a numbered sequence such as out_%04d.png")
    }
}
