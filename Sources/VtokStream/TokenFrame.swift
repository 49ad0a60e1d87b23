// One latent frame: its tokens, optional continuous latents, and the source frames it covers
// (docs/token-stream.md §4.2).

/// The content of a TOKENS packet (§4.2).
public struct TokenFrame: Equatable, Sendable {
    /// 0-based index of this latent frame within its segment.
    public var latentIndex: Int
    /// 0-based index, within the whole stream, of the first source frame covered.
    public var frameIndex: Int
    /// pts of each covered source frame, in the header's time base; `pts.count` is the frame count (1...T).
    public var pts: [Int64]
    /// (h, w) row-major, each < the header's vocabulary size.
    public var tokens: [UInt16]
    /// (h, w, c) channels-last, present exactly when the header has `.continuousLatents`.
    public var latents: [Float]?

    public init(latentIndex: Int, frameIndex: Int, pts: [Int64], tokens: [UInt16], latents: [Float]? = nil) {
        self.latentIndex = latentIndex
        self.frameIndex = frameIndex
        self.pts = pts
        self.tokens = tokens
        self.latents = latents
    }

    /// Source frames this latent frame covers; a decoder keeps this many of the frames it makes (§4.2).
    public var frameCount: Int { pts.count }

    /// The first rule of §4.2 this frame breaks against `header`, or nil.
    func violation(against header: StreamHeader) -> String? {
        guard (1...header.temporalFactor).contains(pts.count) else {
            return "frame count \(pts.count) not in 1...\(header.temporalFactor)"
        }
        guard latentIndex >= 0, latentIndex <= Int(UInt32.max) else { return "latent index \(latentIndex) out of range" }
        guard frameIndex >= 0, frameIndex <= Int.max - pts.count else { return "frame index \(frameIndex) out of range" }
        guard tokens.count == header.tokenCount else {
            return "\(tokens.count) tokens for a \(header.latentHeight)x\(header.latentWidth) grid"
        }
        if let bad = tokens.first(where: { Int($0) >= header.vocabularySize }) {
            return "token \(bad) outside the vocabulary of \(header.vocabularySize)"
        }
        if header.hasLatents {
            guard let latents, latents.count == header.tokenCount * header.channels else {
                return "continuous latents must have h*w*c = \(header.tokenCount * header.channels) values"
            }
        } else if latents != nil {
            return "continuous latents given but the header does not announce them"
        }
        return nil
    }

    /// The TOKENS payload (§4.2). The caller has checked `violation(against:) == nil`.
    func encodePayload() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(StreamFormat.tokensFixedSize + 8 * pts.count + 2 * tokens.count + 4 * (latents?.count ?? 0))
        out.appendLE(UInt32(latentIndex))
        out.appendLE(UInt16(pts.count))
        out.appendLE(UInt16(0))  // reserved
        out.appendLE(UInt64(frameIndex))
        for p in pts { out.appendLE(p) }
        for t in tokens { out.appendLE(t) }
        for f in latents ?? [] { out.appendLE(f.bitPattern) }
        return out
    }

    /// Reads a TOKENS payload against the current `header` (§4.2, §6.3); `packetPTS` is the packet
    /// header's pts, which must equal `pts[0]`. Extension bytes after the defined fields are ignored (§7).
    static func decode(payload: ArraySlice<UInt8>, packetPTS: Int64, header: StreamHeader) throws(StreamError) -> TokenFrame {
        var c = ByteCursor(payload, packetType: PacketType.tokens.rawValue)
        let latentIndex = Int(try c.read(UInt32.self, "latent_index"))
        let count = Int(try c.read(UInt16.self, "frame_count"))
        _ = try c.read(UInt16.self, "reserved")
        let first = try c.read(UInt64.self, "frame_index")
        guard (1...header.temporalFactor).contains(count) else {
            throw c.fail("frame count \(count) not in 1...\(header.temporalFactor)")
        }
        guard first <= UInt64(Int64.max) - UInt64(count) else { throw c.fail("frame index \(first) out of range") }
        var pts = [Int64]()
        pts.reserveCapacity(count)
        for _ in 0..<count { pts.append(try c.read(Int64.self, "pts")) }
        guard pts[0] == packetPTS else { throw c.fail("packet pts \(packetPTS) is not the first frame's pts \(pts[0])") }
        let tokens = try c.readArray(UInt16.self, header.tokenCount, "tokens")
        let vocabulary = header.vocabularySize
        if let bad = tokens.first(where: { Int($0) >= vocabulary }) {
            throw c.fail("token \(bad) outside the vocabulary of \(vocabulary)")
        }
        let latents = header.hasLatents ? try c.readFloats(header.tokenCount * header.channels, "latents") : nil
        return TokenFrame(latentIndex: latentIndex, frameIndex: Int(first), pts: pts, tokens: tokens, latents: latents)
    }
}
