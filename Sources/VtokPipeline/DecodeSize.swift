// Which size `vtok decode` writes: the source's (default; the header records it), the model's, or one given.
import VtokMedia
import VtokStream

/// The size of decoded video. The engine always decodes at the model size; the writer scales (swscale,
/// bicubic) to the size chosen here.
public enum DecodeSize: Sendable, Equatable {
    /// The model's frame size (latent grid x spatial factor), no scaling.
    case model
    /// The source size recorded in the stream header, rounded down to even sides (4:2:0 video needs them).
    case source
    /// This size (even sides).
    case exact(FrameSize)

    /// Parses `model`, `source` or `WxH`.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "model": self = .model
        case "source": self = .source
        default:
            let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard parts.count == 2, let w = parts[0], let h = parts[1], w > 0, h > 0 else { return nil }
            self = .exact(FrameSize(width: w, height: h))
        }
    }

    /// The output size for a stream with header `h`.
    public func resolve(_ h: StreamHeader) -> FrameSize {
        let model = FrameSize(width: h.modelSize.width, height: h.modelSize.height)
        switch self {
        case .model:
            return model
        case .source:
            let w = h.sourceSize.width & ~1, ht = h.sourceSize.height & ~1
            guard w >= 2, ht >= 2, w <= SizePolicy.maxSide, ht <= SizePolicy.maxSide else { return model }
            return FrameSize(width: w, height: ht)
        case .exact(let size):
            return size
        }
    }
}
