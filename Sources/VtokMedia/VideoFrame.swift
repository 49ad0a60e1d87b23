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

/// A decoded video frame in packed RGB24.
public struct VideoFrame: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// (h, w, 3) row-major, channels-last RGB, no row padding: `pixels.count == height * width * 3`.
    public var pixels: [UInt8]
    /// Presentation time in the reader's `MediaInfo.timeBase` (the stream time base, or 1/fps when the
    /// reader resamples). Strictly increasing within one reader.
    public var pts: Int64
    /// 0-based position of this frame in the reader's output.
    public var index: Int

    public init(width: Int, height: Int, pixels: [UInt8], pts: Int64, index: Int) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.pts = pts
        self.index = index
    }

    public var size: FrameSize { FrameSize(width: width, height: height) }
}
