// Which output size a source picture is scaled to, and which part of it is used. Pure: no FFmpeg.

/// How the reader sizes its output frames.
public enum SizeRequest: Hashable, Sendable {
    /// Scale so the short side is `n` (default 256), keep the aspect, round both sides to the spatial factor.
    case shortSide(Int)
    /// Scale to exactly this size; both sides must be multiples of the spatial factor.
    case exact(FrameSize)
    /// Keep the source size (no resize, no rounding). Useful for tests and round trips.
    case source
}

/// A centred crop rectangle in source pixels.
public struct CropRect: Hashable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
}

/// The result of the size policy: which source rectangle maps onto which output size.
public struct ScalePlan: Hashable, Sendable {
    public var crop: CropRect
    public var output: FrameSize
}

public enum SizePolicy {
    /// The largest output side accepted (FFmpeg's own limit for most codecs is 16384).
    public static let maxSide = 16384

    /// Plans how a `source` picture becomes an output frame.
    ///
    /// - `.shortSide(n)`: the short side becomes `n`, the long side keeps the aspect; both are rounded to the
    ///   nearest multiple of `factor` (at least `factor`). A source that already has the rounded size
    ///   (256x256 for the default) is used as is.
    /// - `.exact(size)`: exactly `size`, which must be a multiple of `factor` on both sides.
    /// - `.source`: the source size unchanged.
    /// - `crop`: the source is first centre-cropped to the output aspect, so nothing is distorted. Crop
    ///   offsets and sizes are even so 4:2:0 chroma stays aligned.
    public static func plan(source: FrameSize, request: SizeRequest, factor: Int = 8,
                            crop: Bool = false) throws(MediaError) -> ScalePlan {
        guard source.width > 0, source.height > 0 else { throw MediaError.invalidSize("source \(source) is empty") }
        guard factor > 0 else { throw MediaError.invalidSize("spatial factor \(factor) must be positive") }
        let output: FrameSize
        switch request {
        case .source:
            output = source
        case let .exact(size):
            guard size.width > 0, size.height > 0, size.width % factor == 0, size.height % factor == 0 else {
                throw MediaError.invalidSize("\(size) must be positive multiples of the spatial factor \(factor)")
            }
            output = size
        case let .shortSide(n):
            guard n > 0 else { throw MediaError.invalidSize("short side \(n) must be positive") }
            let short = Double(min(source.width, source.height))
            let scale = Double(n) / short
            output = FrameSize(width: roundTo(Double(source.width) * scale, factor),
                               height: roundTo(Double(source.height) * scale, factor))
        }
        guard output.width <= maxSide, output.height <= maxSide else {
            throw MediaError.invalidSize("output \(output) is larger than \(maxSide) on a side")
        }
        let full = CropRect(x: 0, y: 0, width: source.width, height: source.height)
        guard crop, output != source else { return ScalePlan(crop: full, output: output) }
        return ScalePlan(crop: centreCrop(source: source, aspect: output), output: output)
    }

    /// The largest centred rectangle of `source` with the aspect of `aspect`, with even offsets and sizes
    /// where the source allows.
    static func centreCrop(source: FrameSize, aspect: FrameSize) -> CropRect {
        // Compare source.w / source.h with aspect.w / aspect.h without division.
        let lhs = source.width * aspect.height, rhs = aspect.width * source.height
        var w = source.width, h = source.height
        if lhs > rhs {          // source is wider: crop the sides
            w = Int((Double(source.height) * Double(aspect.width) / Double(aspect.height)).rounded())
        } else if lhs < rhs {   // source is taller: crop top and bottom
            h = Int((Double(source.width) * Double(aspect.height) / Double(aspect.width)).rounded())
        }
        w = evenClamp(w, source.width)
        h = evenClamp(h, source.height)
        let x = ((source.width - w) / 2) & ~1
        let y = ((source.height - h) / 2) & ~1
        return CropRect(x: x, y: y, width: w, height: h)
    }

    private static func evenClamp(_ v: Int, _ limit: Int) -> Int {
        let clamped = max(1, min(v, limit))
        return clamped == limit || clamped < 2 ? clamped : clamped & ~1
    }

    private static func roundTo(_ v: Double, _ factor: Int) -> Int {
        max(factor, Int((v / Double(factor)).rounded()) * factor)
    }
}
