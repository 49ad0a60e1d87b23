// Opening an input: demuxer (with live settings), the best video stream, and its decoder.
import CFFmpeg

extension MediaReader {
    /// Live demuxer defaults: probe little (at most 64 KiB / 0.2 s of stream before the first frame).
    static let liveFormatOptions: [String: String] = [
        "probesize": "65536",
        "analyzeduration": "200000",   // microseconds
    ]

    /// `fflags nobuffer` (AVFMT_FLAG_NOBUFFER) makes avformat_find_stream_info drop the packets it probed
    /// instead of replaying them. For a capture device that is right (they are stale; every frame is a
    /// keyframe); for a pipe or network stream it loses the first keyframe and, with long GOPs, every frame
    /// until the next one. So it is used for devices only.
    static func dropsProbePackets(url: String, format: String?) -> Bool {
        if let format, LiveRule.isDeviceFormat(format) { return true }
        return url.hasPrefix("/dev/")
    }

    /// The URL FFmpeg opens for a path: "-" is stdin.
    static func url(forPath path: String) -> String { path == "-" ? "pipe:0" : path }

    /// Opens the demuxer and reads stream info. The returned context is owned by the caller.
    /// `owner` goes into the context's `opaque`: FFmpeg's lines logged for it reach that reader's collector.
    static func openFormat(url: String, options: MediaReaderOptions, live: Bool, owner: UnsafeMutableRawPointer?)
        throws(MediaError) -> UnsafeMutablePointer<AVFormatContext> {
        var inputFormat: UnsafePointer<AVInputFormat>? = nil
        if let name = options.format ?? (url.hasPrefix("/dev/video") ? "video4linux2" : nil) {
            guard let found = MediaDevices.inputFormat(named: name) else { throw MediaDevices.unknownFormatError(name) }
            inputFormat = found
        }
        var settings = live ? liveFormatOptions : [:]
        settings.merge(options.formatOptions) { _, user in user }
        var dict: OpaquePointer? = nil
        defer { av_dict_free(&dict) }
        for (key, value) in settings { av_dict_set(&dict, key, value, 0) }

        guard var context = avformat_alloc_context() else {
            throw MediaError.ffmpeg(FFmpegError(function: "avformat_alloc_context", code: vtok_averror(ENOMEM)))
        }
        context.pointee.opaque = owner
        if live && dropsProbePackets(url: url, format: options.format) {
            context.pointee.flags |= AVFMT_FLAG_NOBUFFER
        }
        var contextOrNil: UnsafeMutablePointer<AVFormatContext>? = context
        let (opened, logged) = MediaLog.errors { avformat_open_input(&contextOrNil, url, inputFormat, &dict) }
        // On failure avformat_open_input frees the context and sets it to NULL.
        guard opened >= 0, let openedContext = contextOrNil else {
            var error = FFmpegError(function: "avformat_open_input", code: opened)
            // The demuxer's own words when it gave them: its return code can mislead (EBUSY for a bad size).
            if let said = logged.first, !said.isEmpty { error.message = said }
            throw MediaError.cannotOpen(url: url, error)
        }
        context = openedContext
        let info = avformat_find_stream_info(context, nil)
        if info < 0 {
            avformat_close_input(&contextOrNil)
            throw MediaError.cannotOpen(url: url, FFmpegError(function: "avformat_find_stream_info", code: info))
        }
        return context
    }

    /// Picks the video stream, opens its decoder, and discards every other stream.
    static func openDecoder(format: UnsafeMutablePointer<AVFormatContext>, url: String,
                            options: MediaReaderOptions, live: Bool, owner: UnsafeMutableRawPointer?) throws(MediaError)
        -> (stream: Int32, codec: UnsafeMutablePointer<AVCodecContext>) {
        let streams = (0..<Int(format.pointee.nb_streams)).compactMap { format.pointee.streams[$0] }
        let isVideo = { (s: UnsafeMutablePointer<AVStream>) in
            s.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
                && s.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
        }
        guard let firstVideo = streams.first(where: isVideo) else { throw MediaError.noVideoStream(url: url) }
        var decoder: UnsafePointer<AVCodec>? = nil
        let index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        guard index >= 0, let decoder, Int(index) < streams.count else {
            let id = firstVideo.pointee.codecpar.pointee.codec_id
            throw MediaError.decoderMissing(codec: String(cString: avcodec_get_name(id)))
        }
        for (i, s) in streams.enumerated() where i != Int(index) { s.pointee.discard = AVDISCARD_ALL }
        let stream = streams[Int(index)]

        guard var codec = avcodec_alloc_context3(decoder) else {
            throw MediaError.ffmpeg(FFmpegError(function: "avcodec_alloc_context3", code: vtok_averror(ENOMEM)))
        }
        var codecOrNil: UnsafeMutablePointer<AVCodecContext>? = codec
        // Frame threads log through copies of the context, which keep its opaque.
        codec.pointee.opaque = owner
        do throws(MediaError) {
            try check(avcodec_parameters_to_context(codec, stream.pointee.codecpar), "avcodec_parameters_to_context")
            codec.pointee.pkt_timebase = stream.pointee.time_base
            codec.pointee.thread_count = Int32(max(0, options.decoderThreads))
            if live {
                // Slice threads add no delay; frame threads hold back thread_count - 1 frames.
                codec.pointee.thread_type = FF_THREAD_SLICE
                codec.pointee.flags |= Int32(AV_CODEC_FLAG_LOW_DELAY)
            } else {
                codec.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
            }
            try check(avcodec_open2(codec, decoder, nil), "avcodec_open2")
        } catch {
            avcodec_free_context(&codecOrNil)
            throw error
        }
        codec = codecOrNil ?? codec
        return (index, codec)
    }
}
