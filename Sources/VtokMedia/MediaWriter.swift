// RGB frames -> bytes: scale to yuv420p, encode, mux. Frames are written as they arrive.
import CFFmpeg

/// Writes RGB24 frames to a video file, stdout ("-") or a file descriptor.
///
/// ```swift
/// let writer = try MediaWriter(path: "out.mp4", size: FrameSize(width: 256, height: 256),
///                              frameRate: Rational(25, 1))
/// for frame in frames { try writer.write(frame) }   // frame.pts in writer.timeBase
/// try writer.finish()
/// ```
///
/// Timestamps are kept exactly: each frame's pts (in `timeBase`) becomes its presentation time in the
/// file, so frame count and timing round-trip through mp4, mkv and nut (mkv stores milliseconds, so
/// time bases finer than 1/1000 are rounded there; y4m has no timestamps, only a constant rate).
///
/// Not thread-safe: use one writer from one thread at a time. Call `finish()`, or the file has no trailer.
public final class MediaWriter: @unchecked Sendable {
    public let size: FrameSize
    public let frameRate: Rational
    /// The time base of the pts passed to `write`.
    public let timeBase: Rational
    /// The muxer and encoder in use, e.g. "mp4" and "libx264".
    public let formatName: String
    public let codecName: String
    public let isLive: Bool

    var format: UnsafeMutablePointer<AVFormatContext>?
    var codec: UnsafeMutablePointer<AVCodecContext>?
    var stream: UnsafeMutablePointer<AVStream>
    var picture: UnsafeMutablePointer<AVFrame>?
    var packet: UnsafeMutablePointer<AVPacket>?
    let converter: OpaquePointer
    /// The size of the frames passed to `write` (`options.inputSize`, else `size`): swscale scales them to `size`.
    public let inputSize: FrameSize
    /// The encoder's pixel format (yuv420p for video codecs, rgb24 for PNG, yuvj420p for JPEG).
    let pixelFormat: AVPixelFormat
    /// An image file without a %d pattern (image2): it holds exactly one picture.
    let singleImage: Bool
    /// The RGB input copied with slack at the end: swscale's SIMD readers load 16 bytes at a time and
    /// would read past the end of an exactly sized array (seen with valgrind).
    var staging: [UInt8]
    var lastPts: Int64?
    var finished = false
    var headerWritten = false
    private var lastEncoded: Int64?
    /// Frames accepted by `write` so far.
    public private(set) var framesWritten = 0

    /// Opens `path` for writing ("-" is stdout). `timeBase` defaults to 1/frameRate (pts = frame number).
    /// Live (zerolatency, flushed) when stdout is a pipe, socket or terminal, not when redirected to a file.
    public convenience init(path: String, size: FrameSize, frameRate: Rational, timeBase: Rational? = nil,
                            options: MediaWriterOptions = MediaWriterOptions()) throws(MediaError) {
        let url = path == "-" ? "pipe:1" : path
        let isPipe = url.hasPrefix("pipe:")
        var opts = options
        if isPipe && opts.live == nil {
            opts.live = LiveRule.isStreamDescriptor(Int32(url.dropFirst(5)) ?? 1)
        }
        try self.init(url: url, isPipe: isPipe, size: size, frameRate: frameRate,
                      timeBase: timeBase ?? frameRate.inverted, options: opts)
    }

    /// Writes to an open file descriptor (not closed by the writer). Live when the descriptor is a pipe.
    public convenience init(fileDescriptor: Int32, size: FrameSize, frameRate: Rational, timeBase: Rational? = nil,
                            options: MediaWriterOptions = MediaWriterOptions()) throws(MediaError) {
        var opts = options
        if opts.live == nil { opts.live = LiveRule.isStreamDescriptor(fileDescriptor) }
        try self.init(url: "pipe:\(fileDescriptor)", isPipe: true, size: size, frameRate: frameRate,
                      timeBase: timeBase ?? frameRate.inverted, options: opts)
    }

    private init(url: String, isPipe: Bool, size: FrameSize, frameRate: Rational, timeBase: Rational,
                 options: MediaWriterOptions) throws(MediaError) {
        _ = MediaLog.bootstrap
        let inputSize = options.inputSize ?? size
        for s in [size, inputSize] {
            guard s.width > 0, s.height > 0, s.width % 2 == 0, s.height % 2 == 0,
                  s.width <= SizePolicy.maxSide, s.height <= SizePolicy.maxSide else {
                throw MediaError.invalidSize("writer size \(s) must be even, positive and at most \(SizePolicy.maxSide)")
            }
        }
        self.inputSize = inputSize
        let int32 = 1...Int(Int32.max)
        guard int32.contains(frameRate.num), int32.contains(frameRate.den),
              int32.contains(timeBase.num), int32.contains(timeBase.den) else {
            throw MediaError.invalidOption("frame rate \(frameRate) and time base \(timeBase) must be positive 32-bit")
        }
        self.size = size
        self.frameRate = frameRate
        self.timeBase = timeBase
        let live = options.live ?? false
        self.isLive = live

        // Muxer.
        var formatOrNil: UnsafeMutablePointer<AVFormatContext>? = nil
        let muxer = OutputFormat.muxerName(path: url, isPipe: isPipe, override: options.format)
        var allocated = avformat_alloc_output_context2(&formatOrNil, nil, muxer, isPipe ? nil : url)
        if allocated < 0, let muxer, MediaDevices.available {     // an output device (v4l2 loopback, ...)?
            allocated = avformat_alloc_output_context2(&formatOrNil, nil, muxer, isPipe ? nil : url)
        }
        guard allocated >= 0, let format = formatOrNil, let oformat = format.pointee.oformat else {
            throw muxer.map(MediaDevices.unknownFormatError) ?? MediaError.unknownFormat(url)
        }
        self.format = format
        formatName = String(cString: oformat.pointee.name)
        // From here on, a throw runs deinit only after all stored lets are set: free by hand until then.
        guard let newStream = avformat_new_stream(format, nil) else {
            avformat_free_context(format)
            throw MediaError.ffmpeg(FFmpegError(function: "avformat_new_stream", code: vtok_averror(ENOMEM)))
        }
        stream = newStream
        let encoder: UnsafePointer<AVCodec>
        do throws(MediaError) {
            encoder = try OutputFormat.encoder(for: oformat, path: isPipe ? nil : url, override: options.codec)
        } catch {
            avformat_free_context(format)
            throw error
        }
        let pixelFormat = OutputFormat.pixelFormat(for: encoder)
        self.pixelFormat = pixelFormat
        singleImage = OutputFormat.isSingleImage(muxer: String(cString: oformat.pointee.name), path: url,
                                                 options: options)
        let flags = inputSize == size ? SWS_BILINEAR | SWS_ACCURATE_RND : SWS_BICUBIC | SWS_ACCURATE_RND
        guard let sws = sws_getContext(Int32(inputSize.width), Int32(inputSize.height), AV_PIX_FMT_RGB24,
                                       Int32(size.width), Int32(size.height), pixelFormat,
                                       flags, nil, nil, nil) else {
            avformat_free_context(format)
            throw MediaError.ffmpeg(FFmpegError(function: "sws_getContext", code: vtok_averror(EINVAL)))
        }
        converter = sws
        staging = [UInt8](repeating: 0, count: inputSize.width * inputSize.height * 3 + MediaWriter.stagingSlack)
        codecName = String(cString: encoder.pointee.name)

        // All stored properties are set: deinit frees whatever exists from here on.
        packet = av_packet_alloc()
        picture = av_frame_alloc()
        guard packet != nil, picture != nil else {
            throw MediaError.ffmpeg(FFmpegError(function: "av_frame_alloc", code: vtok_averror(ENOMEM)))
        }
        try openEncoder(encoder, options: options)
        try openOutput(url: url, isPipe: isPipe, options: options)
    }

    /// Bytes of padding after the staged RGB input (FFmpeg's AV_INPUT_BUFFER_PADDING_SIZE).
    static let stagingSlack = 64

    deinit {
        if let format {
            if let pb = format.pointee.pb, format.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
                var io: UnsafeMutablePointer<AVIOContext>? = pb
                avio_closep(&io)
                format.pointee.pb = nil
            }
            avformat_free_context(format)
        }
        avcodec_free_context(&codec)
        av_frame_free(&picture)
        av_packet_free(&packet)
        sws_freeContext(converter)
    }

    /// Encodes and muxes one frame; its pts (in `timeBase`) must be greater than the previous one.
    public func write(_ frame: VideoFrame) throws(MediaError) {
        try write(pixels: frame.pixels, width: frame.width, height: frame.height, pts: frame.pts)
    }

    /// Encodes and muxes (h, w, 3) RGB24 `pixels` at `pts` (in `timeBase`).
    public func write(pixels: [UInt8], width: Int, height: Int, pts: Int64) throws(MediaError) {
        guard !finished else { throw MediaError.writerFinished }
        guard width == inputSize.width, height == inputSize.height, pixels.count == width * height * 3 else {
            throw MediaError.invalidFrame("got \(width)x\(height) with \(pixels.count) bytes, writer takes \(inputSize) RGB24")
        }
        try checkSingleImage()
        if let lastPts, pts <= lastPts {
            throw MediaError.invalidFrame("pts \(pts) is not after the previous pts \(lastPts)")
        }
        guard let codec, let picture else { throw MediaError.writerFinished }
        try check(av_frame_make_writable(picture), "av_frame_make_writable")
        staging.replaceSubrange(0..<pixels.count, with: pixels)
        let rows = staging.withUnsafeBufferPointer { src -> Int32 in
            var srcData: [UnsafePointer<UInt8>?] = [src.baseAddress, nil, nil, nil]
            var srcStride: [Int32] = [Int32(width * 3), 0, 0, 0]
            var dstData = withUnsafeBytes(of: picture.pointee.data) {
                Array($0.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).prefix(4))
            }
            var dstStride = withUnsafeBytes(of: picture.pointee.linesize) { Array($0.bindMemory(to: Int32.self).prefix(4)) }
            return sws_scale(converter, &srcData, &srcStride, 0, Int32(height), &dstData, &dstStride)
        }
        if rows < 0 { throw MediaError.ffmpeg(FFmpegError(function: "sws_scale", code: rows)) }
        // Frame numbers (y4m) may round two pts onto one number: keep them strictly increasing.
        var encoded = encoderPTS(pts)
        if let lastEncoded, encoded <= lastEncoded {
            // pts come from outside (a token stream): two may saturate onto Int64.max.
            guard lastEncoded < Int64.max else { throw MediaError.invalidFrame("pts \(pts) is out of range") }
            encoded = lastEncoded + 1
        }
        picture.pointee.pts = encoded
        try check(avcodec_send_frame(codec, picture), "avcodec_send_frame")
        lastPts = pts
        lastEncoded = encoded
        framesWritten += 1
        try drainPackets()
    }

    /// Flushes the encoder, writes the trailer and closes the output. Idempotent.
    public func finish() throws(MediaError) {
        guard !finished else { return }
        finished = true
        if let codec { try check(avcodec_send_frame(codec, nil), "avcodec_send_frame") }
        try drainPackets()
        if let format {
            try check(av_write_trailer(format), "av_write_trailer")
            if let pb = format.pointee.pb, format.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
                var io: UnsafeMutablePointer<AVIOContext>? = pb
                format.pointee.pb = nil
                try check(avio_closep(&io), "avio_closep")
            }
        }
    }
}
