// Input options shared by `encode` and `serve`: format, size, crop, frame rate, limits.
import ArgumentParser
import VtokEngine
import VtokMedia
import VtokPipeline

struct MediaOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .long], help: "Force the input format, as ffmpeg -f (e.g. nut, matroska, v4l2).")
    var format: String?

    @Option(help: ArgumentHelp("Model frame size WxH (multiples of 8). Default: short side 256, aspect kept.",
                               valueName: "WxH"))
    var size: String?

    @Flag(help: "Centre-crop to the target aspect before scaling instead of stretching.")
    var crop = false

    @Option(help: "Resample to this frame rate (drop or repeat frames by timestamp), e.g. 30 or 30000/1001.")
    var fps: String?

    @Option(help: "Refuse source frames larger than this many pixels.")
    var maxPixels: Int = 3840 * 2160

    @Option(help: "Stop after this many source frames (END reason: limitExceeded).")
    var maxFrames: Int?

    @Option(help: "Stop after this many seconds of media time.")
    var maxSeconds: Double?

    @Option(help: "What a frame size change mid-stream does: segment (new header) or fail.")
    var onSizeChange: String = SizeChangePolicy.newSegment.rawValue

    @Flag(inversion: .prefixedNo, help: "Low-latency input (default: on for devices and pipes).")
    var live: Bool?

    func readerOptions() throws -> MediaReaderOptions {
        var o = MediaReaderOptions()
        o.format = format
        o.crop = crop
        o.maxPixels = maxPixels
        o.live = live
        if let size {
            let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw CLIError("--size must be WxH, got '\(size)'") }
            o.size = .exact(FrameSize(width: parts[0], height: parts[1]))
        }
        if let fps {
            let parts = fps.split(separator: "/").compactMap { Int($0) }
            let rate: Rational
            if parts.count == 2 { rate = Rational(parts[0], parts[1]) }
            else if let d = Double(fps), d > 0 { rate = Rational(Int((d * 1000).rounded()), 1000) }
            else { throw CLIError("--fps must be a number or N/D, got '\(fps)'") }
            guard rate.isValid else { throw CLIError("--fps must be positive") }
            o.frameRate = rate
        }
        return o
    }

    /// The pipeline options for `model`, shared by `encode` and `serve` so both tokenise identically.
    func encodeOptions(model: VtokModel, compute: ComputeOptions, continuous: Bool, headerRepeat: Int) throws -> EncodeOptions {
        var options = EncodeOptions(model: model, media: try readerOptions(), limits: limits(),
                                    continuous: continuous, headerRepeat: headerRepeat,
                                    onSizeChange: try sizeChangePolicy(), compute: compute)
        options.media.spatialFactor = model.config.spatialFactor
        return options
    }

    func limits() -> EncodeLimits { EncodeLimits(maxFrames: maxFrames, maxSeconds: maxSeconds) }

    func sizeChangePolicy() throws -> SizeChangePolicy {
        guard let p = SizeChangePolicy(rawValue: onSizeChange) else {
            throw CLIError("--on-size-change must be segment or fail")
        }
        return p
    }
}
