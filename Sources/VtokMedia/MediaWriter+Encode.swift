// Setting up the encoder and the output, and moving packets from the encoder to the muxer.
import CFFmpeg

extension MediaWriter {
    /// y4m has no timestamps: its muxer writes 1/time_base as the frame rate, so it must get 1/frameRate and
    /// frame numbers. Every other muxer gets the caller's time base and exact pts.
    var encoderTimeBase: Rational { formatName == "yuv4mpegpipe" ? frameRate.inverted : timeBase }

    /// `pts` (in `timeBase`) in the encoder's time base: unchanged, or the nearest frame number for y4m.
    func encoderPTS(_ pts: Int64) -> Int64 {
        let tb = encoderTimeBase
        return tb == timeBase ? pts : Rational.rescale(pts, from: timeBase, to: tb)
    }

    /// Configures and opens the encoder, then copies its parameters to the stream.
    func openEncoder(_ encoder: UnsafePointer<AVCodec>, options: MediaWriterOptions) throws(MediaError) {
        guard let format, let oformat = format.pointee.oformat else { return }
        guard let codec = avcodec_alloc_context3(encoder) else {
            throw MediaError.ffmpeg(FFmpegError(function: "avcodec_alloc_context3", code: vtok_averror(ENOMEM)))
        }
        self.codec = codec
        codec.pointee.width = Int32(size.width)
        codec.pointee.height = Int32(size.height)
        codec.pointee.pix_fmt = pixelFormat
        let tb = encoderTimeBase
        codec.pointee.time_base = AVRational(num: Int32(tb.num), den: Int32(tb.den))
        codec.pointee.framerate = AVRational(num: Int32(frameRate.num), den: Int32(frameRate.den))
        codec.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
        // swscale's default RGB -> YUV matrix is BT.601 (limited range, full for JPEG's yuvj): say so in the stream.
        if pixelFormat != AV_PIX_FMT_RGB24 {
            codec.pointee.colorspace = AVCOL_SPC_SMPTE170M
            codec.pointee.color_range = pixelFormat == AV_PIX_FMT_YUVJ420P ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        }
        if oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            codec.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER)
        }
        let name = String(cString: encoder.pointee.name)
        var dict: OpaquePointer? = nil
        defer { av_dict_free(&dict) }
        switch name {
        case "libx264":
            av_dict_set(&dict, "crf", String(options.crf), 0)
            av_dict_set(&dict, "preset", options.preset ?? (isLive ? "veryfast" : "fast"), 0)
            if isLive { av_dict_set(&dict, "tune", "zerolatency", 0) }
        case "mpeg4", "mpeg2video", "mpeg1video", "msmpeg4":
            codec.pointee.flags |= Int32(AV_CODEC_FLAG_QSCALE)
            codec.pointee.global_quality = Int32(FF_QP2LAMBDA) * Int32(max(1, min(31, options.mpeg4Quantizer)))
            codec.pointee.gop_size = 12
        default:
            break
        }
        if isLive { codec.pointee.flags |= Int32(AV_CODEC_FLAG_LOW_DELAY) }
        // B-frames make the first dts negative; containers that cannot store that (nut, avi) then shift every
        // timestamp forward, which would break "same timestamps out as in". Those get no B-frames.
        if oformat.pointee.flags & AVFMT_TS_NEGATIVE == 0, String(cString: oformat.pointee.name) != "mp4",
           String(cString: oformat.pointee.name) != "matroska" {
            codec.pointee.max_b_frames = 0
        }
        try check(avcodec_open2(codec, encoder, &dict), "avcodec_open2")
        try check(avcodec_parameters_from_context(stream.pointee.codecpar, codec), "avcodec_parameters_from_context")
        stream.pointee.time_base = codec.pointee.time_base
        stream.pointee.avg_frame_rate = codec.pointee.framerate

        guard let picture else {
            throw MediaError.ffmpeg(FFmpegError(function: "av_frame_alloc", code: vtok_averror(ENOMEM)))
        }
        picture.pointee.format = pixelFormat.rawValue
        picture.pointee.width = Int32(size.width)
        picture.pointee.height = Int32(size.height)
        try check(av_frame_get_buffer(picture, 0), "av_frame_get_buffer")
    }

    /// Opens the byte output (unless the muxer writes by itself) and writes the header.
    func openOutput(url: String, isPipe: Bool, options: MediaWriterOptions) throws(MediaError) {
        guard let format, let oformat = format.pointee.oformat else { return }
        if oformat.pointee.flags & AVFMT_NOFILE == 0 {
            var io: UnsafeMutablePointer<AVIOContext>? = nil
            let opened = avio_open(&io, url, AVIO_FLAG_WRITE)
            guard opened >= 0 else { throw MediaError.cannotOpen(url: url, FFmpegError(function: "avio_open", code: opened)) }
            format.pointee.pb = io
        }
        var settings: [String: String] = [:]
        if OutputFormat.isMP4Family(oformat) && (isPipe || isLive) {
            // A pipe cannot seek back to write the moov atom: write a fragment per keyframe instead.
            settings["movflags"] = "frag_keyframe+empty_moov+default_base_moof"
        }
        if isLive {
            format.pointee.flags |= AVFMT_FLAG_FLUSH_PACKETS
            format.pointee.flush_packets = 1
            if String(cString: oformat.pointee.name) == "matroska" { settings["live"] = "1" }
        }
        settings.merge(options.muxerOptions) { _, user in user }
        var dict: OpaquePointer? = nil
        defer { av_dict_free(&dict) }
        for (key, value) in settings { av_dict_set(&dict, key, value, 0) }
        try check(avformat_write_header(format, &dict), "avformat_write_header")
        headerWritten = true
    }

    /// Moves every packet the encoder has ready into the muxer, rescaling timestamps to the stream's
    /// time base (which the muxer may have changed in avformat_write_header, e.g. mp4's 1/12800).
    func drainPackets() throws(MediaError) {
        guard let codec, let packet, let format else { return }
        while true {
            let received = avcodec_receive_packet(codec, packet)
            if received == vtok_averror(EAGAIN) || received == vtok_averror_eof() { return }
            try check(received, "avcodec_receive_packet")
            av_packet_rescale_ts(packet, codec.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            // Takes ownership of the packet's data and leaves it blank.
            try check(av_interleaved_write_frame(format, packet), "av_interleaved_write_frame")
            if isLive, let pb = format.pointee.pb { avio_flush(pb) }
        }
    }
}
