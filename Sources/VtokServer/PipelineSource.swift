// The real TokenSource: VtokPipeline's EncodePipeline, the same code `vtok encode` runs, so a session's
// token stream is byte-identical to `vtok encode` on the same input and options (stream id aside).
import VtokPipeline

/// Opens an `EncodePipeline` per session with the daemon's options, tightened by the session limits.
public struct PipelineSourceFactory: TokenSourceFactory {
    /// The options every session starts from (model loaded once, size policy, header repeat, ...).
    public let options: EncodeOptions
    /// A fixed stream id for every stream (tests compare streams byte for byte); nil: random per stream.
    public var streamID: [UInt8]?

    public init(options: EncodeOptions, streamID: [UInt8]? = nil) {
        self.options = options
        self.streamID = streamID
    }

    public func makeSource(input: SourceInput, limits: SessionLimits) throws -> any TokenSource {
        var o = options
        o.limits.maxFrames = Self.tighter(o.limits.maxFrames, limits.maxFrames)
        o.limits.maxSeconds = Self.tighter(o.limits.maxSeconds, limits.maxMediaSeconds)
        if let maxPixels = limits.maxPixels { o.media.maxPixels = min(o.media.maxPixels, maxPixels) }
        let media: MediaInput
        switch input {
        case .fileDescriptor(let fd): media = .fileDescriptor(fd)
        case .location(let path): media = .path(path)
        }
        let pipeline = try EncodePipeline(input: media, options: o)
        if let streamID { pipeline.streamID = streamID }
        return PipelineSource(pipeline)
    }

    static func tighter<T: Comparable>(_ a: T?, _ b: T?) -> T? {
        switch (a, b) {
        case let (x?, y?): return min(x, y)
        default: return a ?? b
        }
    }
}

final class PipelineSource: TokenSource {
    private let pipeline: EncodePipeline
    init(_ pipeline: EncodePipeline) { self.pipeline = pipeline }

    func run(emit: ([UInt8]) throws -> Void, shouldStop: @escaping @Sendable () -> Bool) -> SourceOutcome {
        let summary = pipeline.run(emit: emit, shouldStop: shouldStop)
        return SourceOutcome(reason: summary.reason, message: summary.message, damage: summary.inputDamage)
    }
}
