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

/// Where a decode run is, for progress lines: with the size of a token-stream file, `expectedFrames` estimates the
/// total from the size of one TOKENS packet (docs/token-stream.md: 32 + payload + 4 bytes).
public struct DecodeProgress: Sendable {
    public var framesOut: Int
    public var latentsIn: Int
    /// Bytes of the last TOKENS packet, estimated from its contents.
    public var packetBytes: Int
    public var temporalFactor: Int

    static func packetBytes(_ t: TokenFrame) -> Int {
        36 + 32 + 8 * t.pts.count + 2 * t.tokens.count + 4 * (t.latents?.count ?? 0)
    }

    /// Frames a stream of `fileBytes` bytes holds, if its packets are like the last one (1 + (n - 1) * T).
    public func expectedFrames(fileBytes: Int) -> Int {
        let latents = max(latentsIn, fileBytes / max(1, packetBytes))
        return max(framesOut, 1 + (latents - 1) * temporalFactor)
    }
}
