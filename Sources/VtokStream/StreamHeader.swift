// What a HEADER packet says about the stream: model, vocabulary, grid, sizes, time (docs/token-stream.md §4.1).

/// The self-description of a stream segment (§4.1). Every TOKENS packet is read against the current one.
public struct StreamHeader: Equatable, Sendable {
    /// A `num / den` pair as the stream stores it: two u32 (§4.1).
    public struct Rational: Hashable, Sendable, CustomStringConvertible {
        public var num: Int
        public var den: Int
        public init(_ num: Int, _ den: Int) {
            self.num = num
            self.den = den
        }
        public var description: String { "\(num)/\(den)" }
    }

    /// A width x height pair in pixels.
    public struct Size: Hashable, Sendable, CustomStringConvertible {
        public var width: Int
        public var height: Int
        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }
        public var description: String { "\(width)x\(height)" }
    }

    /// `header_flags` (§4.1). Unknown bits are ignored by readers.
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// TOKENS packets carry the continuous latents, f32 (h, w, c) channels-last.
        public static let continuousLatents = Flags(rawValue: 1 << 0)
    }

    /// The version that wrote the header; a writer always writes `StreamFormat.versionMajor/Minor` (§7).
    public internal(set) var versionMajor: UInt16 = StreamFormat.versionMajor
    public internal(set) var versionMinor: UInt16 = StreamFormat.versionMinor
    public var flags: Flags
    /// 0 for the first segment, +1 for each new one (§5.3).
    public var segment: Int
    /// 16 bytes, the same in every header of a stream; see `randomStreamID()`.
    public var streamID: [UInt8]
    public var modelName: String
    /// SHA-256 of the weights file, 32 raw bytes (all zero if unknown).
    public var weightsSHA256: [UInt8]
    /// The encoder identity behind the tokens, 32 raw bytes (version 1.1, §4.1); nil when unknown (a 1.0 header,
    /// or all zero on the wire; a nil is written as zeros). Decides which decoders can read the stream
    /// (docs/model.md, "Encoder identity").
    public var encoderSHA256: [UInt8]?
    /// FSQ levels, one per latent channel, e.g. `[8, 8, 8, 5, 5, 5]`.
    public var levels: [Int]
    /// `T`: source frames per latent frame after the first (§4.2).
    public var temporalFactor: Int
    /// `S`: pixels per latent position along each axis.
    public var spatialFactor: Int
    /// `h` and `w` of the token grid.
    public var latentHeight: Int
    public var latentWidth: Int
    /// Frame size before scaling to the model's size.
    public var sourceSize: Size
    /// Nominal frames per second; `0/1` when unknown or variable.
    public var frameRate: Rational
    /// Seconds per pts tick of every pts in the stream.
    public var timeBase: Rational

    public init(modelName: String, weightsSHA256: [UInt8], encoderSHA256: [UInt8]? = nil, levels: [Int],
                temporalFactor: Int, spatialFactor: Int, latentHeight: Int, latentWidth: Int, sourceSize: Size,
                frameRate: Rational, timeBase: Rational, streamID: [UInt8], flags: Flags = [], segment: Int = 0) {
        self.modelName = modelName
        self.weightsSHA256 = weightsSHA256
        self.encoderSHA256 = encoderSHA256
        self.levels = levels
        self.temporalFactor = temporalFactor
        self.spatialFactor = spatialFactor
        self.latentHeight = latentHeight
        self.latentWidth = latentWidth
        self.sourceSize = sourceSize
        self.frameRate = frameRate
        self.timeBase = timeBase
        self.streamID = streamID
        self.flags = flags
        self.segment = segment
    }

    /// Number of distinct tokens: the product of `levels`.
    public var vocabularySize: Int { levels.reduce(1) { $0 &* $1 } }
    /// Latent channels `c`, one per FSQ level.
    public var channels: Int { levels.count }
    /// Tokens per latent frame, `h * w`.
    public var tokenCount: Int { latentHeight * latentWidth }
    /// The frame size the model saw: the latent grid times the spatial factor (§4.1).
    public var modelSize: Size { Size(width: latentWidth * spatialFactor, height: latentHeight * spatialFactor) }
    /// Whether TOKENS packets carry continuous latents.
    public var hasLatents: Bool { flags.contains(.continuousLatents) }

    /// 16 random bytes for `streamID`, from the system's secure generator.
    public static func randomStreamID() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &g) }
    }

    /// Payload length of a TOKENS packet covering `frameCount` frames (§4.2), or nil on overflow.
    func tokensPayloadLength(frameCount: Int) -> Int? {
        let (hw, o1) = latentHeight.multipliedReportingOverflow(by: latentWidth)
        let (lat, o2) = hw.multipliedReportingOverflow(by: hasLatents ? 4 * channels : 0)
        guard !o1, !o2, hw >= 0 else { return nil }
        let (total, o3) = (StreamFormat.tokensFixedSize + 8 * frameCount + 2 * hw).addingReportingOverflow(lat)
        return o3 ? nil : total
    }

    /// The first rule of §4.1 this header breaks, or nil when it can be written and read.
    public func violation() -> String? {
        let u32 = 0...Int(UInt32.max)
        if streamID.count != 16 { return "stream id must be 16 bytes, not \(streamID.count)" }
        if weightsSHA256.count != 32 { return "weights sha256 must be 32 bytes, not \(weightsSHA256.count)" }
        if let e = encoderSHA256, e.count != 32 { return "encoder sha256 must be 32 bytes, not \(e.count)" }
        if !u32.contains(segment) { return "segment \(segment) out of range" }
        if levels.isEmpty || levels.count > StreamFormat.maxLevelCount { return "1...16 FSQ levels, not \(levels.count)" }
        if let bad = levels.first(where: { !(2...65_535).contains($0) }) { return "FSQ level \(bad) not in 2...65535" }
        // Each level >= 2, at most 16 of them: check the product without overflowing.
        var vocab = 1
        for l in levels {
            vocab = vocab.multipliedReportingOverflow(by: l).partialValue
            if vocab > StreamFormat.maxVocabularySize { return "vocabulary larger than 65536" }
        }
        if !(1...StreamFormat.maxTemporalFactor).contains(temporalFactor) { return "temporal factor \(temporalFactor) not in 1...256" }
        if !(1...Int(UInt16.max)).contains(spatialFactor) { return "spatial factor \(spatialFactor) out of range" }
        if !(1...Int(UInt16.max)).contains(latentHeight) || !(1...Int(UInt16.max)).contains(latentWidth) {
            return "latent grid \(latentHeight)x\(latentWidth) out of range"
        }
        if !u32.contains(latentWidth * spatialFactor) || !u32.contains(latentHeight * spatialFactor) {
            return "model frame size out of range"
        }
        if !(1...Int(UInt32.max)).contains(sourceSize.width) || !(1...Int(UInt32.max)).contains(sourceSize.height) {
            return "source size \(sourceSize) out of range"
        }
        if !u32.contains(frameRate.num) || !(1...Int(UInt32.max)).contains(frameRate.den) { return "frame rate \(frameRate) out of range" }
        if !(1...Int(UInt32.max)).contains(timeBase.num) || !(1...Int(UInt32.max)).contains(timeBase.den) {
            return "time base \(timeBase) out of range"
        }
        if modelName.utf8.count > StreamFormat.maxModelNameLength { return "model name longer than 255 bytes" }
        guard let full = tokensPayloadLength(frameCount: temporalFactor), full <= StreamFormat.maxPayloadLength else {
            return "a TOKENS packet would exceed the 16 MiB payload limit"
        }
        return nil
    }
}
