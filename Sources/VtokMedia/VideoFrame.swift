// One decoded picture as the rest of vtok sees it: packed RGB24, no FFmpeg types.

/// A width x height pair in pixels.
public struct FrameSize: Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var pixelCount: Int { width * height }
    public var description: String { "\(width)x\(height)" }
}

/// A decoded video frame in packed RGB24, with its timing: it carries its pts and their time base wherever it
/// goes (resampler, prefetcher, pipeline), so nothing downstream matches timestamps up again by counting.
public struct VideoFrame: Sendable, Equatable, Timestamped {
    public var width: Int
    public var height: Int
    /// (h, w, 3) row-major, channels-last RGB, no row padding: `pixels.count == height * width * 3`.
    public var pixels: [UInt8]
    /// Presentation time in the reader's `MediaInfo.timeBase` (the stream time base, or 1/fps when the
    /// reader resamples). Strictly increasing within one reader.
    public var pts: Int64
    /// The time base of `pts` (the reader's `MediaInfo.timeBase`); 0/1 when unknown.
    public var timeBase: Rational
    /// 0-based position of this frame in the reader's output.
    public var index: Int

    public init(width: Int, height: Int, pixels: [UInt8], pts: Int64, timeBase: Rational = Rational(0, 1), index: Int) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.pts = pts
        self.timeBase = timeBase
        self.index = index
    }

    public var size: FrameSize { FrameSize(width: width, height: height) }

    /// Seconds of media time from `earlier` to this frame (both in this frame's time base); 0 when it is unknown.
    public func seconds(since earlier: Int64) -> Double {
        guard timeBase.isValid else { return 0 }
        return Double(pts &- earlier) * Double(timeBase.num) / Double(timeBase.den)
    }
}
