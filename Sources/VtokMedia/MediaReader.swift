// bytes -> RGB frames: demux, decode, scale, optionally resample. A pull API for a plain thread.
import CFFmpeg
import Glibc

/// Reads video frames from a file, URL, pipe or capture device as packed RGB24.
///
/// ```swift
/// let reader = try MediaReader(path: "clip.mp4")
/// while let event = try reader.next() {
///     switch event {
///     case .frame(let frame): ...                      // frame.pixels: (h, w, 3) RGB24, frame.pts
///     case .sizeChanged(let change): ...               // start a new segment, or stop
///     }
/// }
/// ```
///
/// Errors are `MediaError`, and only that. A size change is an event, not an error: the reader has
/// re-configured itself and the frames after it have the new size. Corrupt packets are skipped and truncated
/// inputs end normally; both are counted in `diagnostics`, with the error lines FFmpeg logged for this reader.
///
/// Not thread-safe: use one reader from one thread at a time (it may move between threads).
public final class MediaReader: @unchecked Sendable {
    public internal(set) var info: MediaInfo
    /// The counts kept while reading (the FFmpeg lines are added by `diagnostics`).
    var tally = MediaDiagnostics()
    /// FFmpeg's error lines for this reader (registered with MediaLog until deinit).
    let log: MediaLogCollector

    /// Problems so far: the reader's counts and the error lines FFmpeg logged for this input.
    public var diagnostics: MediaDiagnostics {
        var d = tally
        log.fill(&d)
        return d
    }

    // State shared with the MediaReader+*.swift extensions (internal, never public).
    let options: MediaReaderOptions
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let streamIndex: Int32
    let streamTimeBase: Rational
    var scaler: FrameScaler?
    var timestamps: TimestampSanitizer
    var resampler: FrameRateResampler<VideoFrame>?
    var nextIndex = 0

    /// Output waiting to be returned, in order: frames and the size changes between them.
    var queue: [MediaEvent] = []
    private var draining = false
    private var finished = false
    private var consecutiveErrors = 0

    /// Opens a path ("-" is stdin), a device such as /dev/video0, or any URL FFmpeg can open.
    public convenience init(path: String, options: MediaReaderOptions = MediaReaderOptions()) throws(MediaError) {
        let url = MediaReader.url(forPath: path)
        let live = options.live ?? LiveRule.isLive(url: url, fileDescriptor: nil, format: options.format)
        try self.init(url: url, options: options, live: live)
    }

    /// Reads from an open file descriptor (a pipe, socket, or file) through FFmpeg's pipe protocol.
    /// The descriptor is not closed by the reader; it must stay open while the reader is used.
    public convenience init(fileDescriptor: Int32, options: MediaReaderOptions = MediaReaderOptions()) throws(MediaError) {
        let live = options.live ?? LiveRule.isLive(url: "", fileDescriptor: fileDescriptor, format: options.format)
        try self.init(url: "pipe:\(fileDescriptor)", options: options, live: live)
    }

    private init(url: String, options: MediaReaderOptions, live: Bool) throws(MediaError) {
        _ = MediaLog.bootstrap
        self.options = options
        let log = MediaLog.register()
        self.log = log
        let format: UnsafeMutablePointer<AVFormatContext>
        do throws(MediaError) {
            format = try MediaLog.collecting(into: log) { () throws(MediaError) in
                try MediaReader.openFormat(url: url, options: options, live: live, owner: log.opaque)
            }
        } catch {
            MediaLog.unregister(log)
            throw error
        }
        let opened: (stream: Int32, codec: UnsafeMutablePointer<AVCodecContext>)
        let stream: UnsafeMutablePointer<AVStream>
        do throws(MediaError) {
            opened = try MediaLog.collecting(into: log) { () throws(MediaError) in
                try MediaReader.openDecoder(format: format, url: url, options: options, live: live, owner: log.opaque)
            }
            // openDecoder checked the index against nb_streams; the pointer is still optional in C.
            guard let found = format.pointee.streams[Int(opened.stream)] else {
                var codecOrNil: UnsafeMutablePointer<AVCodecContext>? = opened.codec
                avcodec_free_context(&codecOrNil)
                throw MediaError.noVideoStream(url: url)
            }
            stream = found
        } catch {
            var formatOrNil: UnsafeMutablePointer<AVFormatContext>? = format
            avformat_close_input(&formatOrNil)
            MediaLog.unregister(log)
            throw error
        }
        // deinit frees these once every stored property is set (a throw below still runs it).
        self.format = format
        self.codec = opened.codec
        self.streamIndex = opened.stream
        self.packet = av_packet_alloc()
        self.frame = av_frame_alloc()

        let tb = stream.pointee.time_base
        streamTimeBase = Rational(Int(tb.num), Int(tb.den))
        let guessed = av_guess_frame_rate(format, stream, nil)
        let sourceRate = Rational(Int(guessed.num), Int(guessed.den))
        timestamps = TimestampSanitizer(
            frameDuration: TimestampSanitizer.frameDuration(frameRate: sourceRate, timeBase: streamTimeBase))
        let par = stream.pointee.codecpar.pointee
        let source = FrameSize(width: Int(par.width), height: Int(par.height))
        info = MediaInfo(
            url: url,
            containerName: String(cString: format.pointee.iformat.pointee.name),
            codecName: String(cString: avcodec_get_name(par.codec_id)),
            sourceSize: source, outputSize: source,
            frameRate: options.frameRate ?? sourceRate,
            timeBase: options.frameRate?.inverted ?? streamTimeBase,
            isLive: live)
        info.rotation = Self.displayRotation(stream)
        info.durationSeconds = MediaReader.durationSeconds(format: format, stream: stream)
        info.appliedQuarterTurns = options.autorotate ? Self.quarterTurns(rotation: info.rotation) : 0
        info.sourceSize = Self.turned(source, info.appliedQuarterTurns)
        guard packet != nil, frame != nil else {
            throw MediaError.ffmpeg(FFmpegError(function: "av_frame_alloc", code: vtok_averror(ENOMEM)))
        }
        if let rate = options.frameRate {
            guard rate.isValid else { throw MediaError.invalidOption("output frame rate \(rate) must be positive") }
            resampler = FrameRateResampler(inputTimeBase: streamTimeBase, outputRate: rate)
        }
        if source.pixelCount > 0 {
            try checkPixels(source)
            info.outputSize = try SizePolicy.plan(source: info.sourceSize, request: options.size,
                                                  factor: options.spatialFactor, crop: options.crop).output
        }
    }

    deinit {
        av_frame_free(&frame)
        av_packet_free(&packet)
        avcodec_free_context(&codec)
        avformat_close_input(&format)
        MediaLog.unregister(log)       // after the decoder's threads are gone: nothing logs for this reader now
    }

    /// The next frame or size change, or nil at the end of the input.
    ///
    /// `.sizeChanged` comes once when the picture size changes, between the last frame of the old size and
    /// the first of the new. Throws `.noFrames` when the input ended without a single decodable frame,
    /// `.tooManyPixels` for a frame over `maxPixels`, and `.ffmpeg` for unrecoverable decoder failures.
    public func next() throws(MediaError) -> MediaEvent? {
        try MediaLog.collecting(into: log) { () throws(MediaError) -> MediaEvent? in
            while true {
                if !queue.isEmpty {
                    let event = queue.removeFirst()
                    if case .frame = event { tally.emittedFrames += 1 }
                    return event
                }
                if finished { return nil }
                try step()
            }
        }
    }

    /// The next frame, or nil at the end of the input; a size change is passed over (`info` describes the new
    /// size). For callers that take frames of any size; the tokeniser uses `next()`.
    public func nextFrame() throws(MediaError) -> VideoFrame? {
        while let event = try next() {
            if case .frame(let frame) = event { return frame }
        }
        return nil
    }

    /// One decoder interaction: receive a frame, or feed a packet, or finish.
    private func step() throws(MediaError) {
        guard let codec, let frame else { finished = true; return }
        let received = avcodec_receive_frame(codec, frame)
        if received >= 0 {
            consecutiveErrors = 0
            defer { av_frame_unref(frame) }
            try handle(frame)
        } else if received == vtok_averror(EAGAIN) {
            try feed(codec)
        } else if received == vtok_averror_eof() {
            try finish()
        } else {
            // A frame that could not be decoded: count it, skip it, keep going.
            tally.skippedPackets += 1
            consecutiveErrors += 1
            if consecutiveErrors > 1000 { throw MediaError.ffmpeg(FFmpegError(function: "avcodec_receive_frame",
                                                                              code: received)) }
        }
    }

    /// Reads the next packet of our stream and sends it to the decoder; at the end, starts draining.
    private func feed(_ codec: UnsafeMutablePointer<AVCodecContext>) throws(MediaError) {
        guard let format, let packet else { finished = true; return }
        if draining { try finish(); return }   // the decoder wants input after the flush: nothing more comes
        let read = av_read_frame(format, packet)
        if read == vtok_averror(EAGAIN) {   // non-blocking device with nothing yet: try again shortly
            usleep(1000)
            return
        }
        if read < 0 {
            if read != vtok_averror_eof() {
                tally.truncated = true
                tally.readError = FFmpegError(function: "av_read_frame", code: read)
            }
            draining = true
            _ = avcodec_send_packet(codec, nil)
            return
        }
        defer { av_packet_unref(packet) }
        guard packet.pointee.stream_index == streamIndex else { return }
        let sent = avcodec_send_packet(codec, packet)
        if sent < 0 && sent != vtok_averror(EAGAIN) {
            tally.skippedPackets += 1
        }
    }

    /// End of stream: flush the resampler, check that something came out, note truncation.
    private func finish() throws(MediaError) {
        finished = true
        if var r = resampler {
            enqueue(r.flushItems())
            resampler = r
        }
        if endsBeforeAnnounced() { tally.truncated = true }
        if tally.decodedFrames == 0 { throw MediaError.noFrames(url: info.url) }
    }

    /// Whether fewer frames came out than the container announced (mp4's frame count), or the last one
    /// ends well before the announced duration (matroska, most others). Never true for live inputs.
    private func endsBeforeAnnounced() -> Bool {
        guard !info.isLive, let format, let stream = format.pointee.streams[Int(streamIndex)] else { return false }
        let s = stream.pointee
        if s.nb_frames > 0 && tally.decodedFrames < Int(s.nb_frames) { return true }
        guard let last = timestamps.last else { return false }
        let nopts = vtok_nopts_value()
        let start = s.start_time == nopts ? 0 : s.start_time
        let end: Int64
        if s.duration != nopts && s.duration > 0 {
            end = start &+ s.duration
        } else if format.pointee.duration != nopts && format.pointee.duration > 0 {
            end = start &+ Rational.rescale(format.pointee.duration, from: Rational(1, Int(AV_TIME_BASE)),
                                           to: streamTimeBase)
        } else {
            return false
        }
        return last &+ 2 * timestamps.frameDuration < end
    }
}
