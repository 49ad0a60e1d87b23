// The real TokenSource: VtokPipeline's EncodePipeline, the same code `vtok encode` runs, so a session's
// token stream is byte-identical to `vtok encode` on the same input and options (stream id aside).
import VtokPipeline
import VtokStream

/// Opens an `EncodePipeline` per session with the daemon's options. Those options hold the media limits
/// (`limits.maxFrames`, `limits.maxSeconds`, `media.maxPixels`) for every session and for the live source;
/// the daemon's own limits (`SessionLimits`) never reach the pipeline.
public struct PipelineSourceFactory: TokenSourceFactory {
    /// The options every session runs with (model loaded once, size policy, media limits, header repeat, ...).
    public let options: EncodeOptions
    /// A fixed stream id for every stream (tests compare streams byte for byte); nil: random per stream.
    public var streamID: [UInt8]?

    public init(options: EncodeOptions, streamID: [UInt8]? = nil) {
        self.options = options
        self.streamID = streamID
    }

    public func makeSource(input: SourceInput) throws -> any TokenSource {
        let media: MediaInput
        switch input {
        case .fileDescriptor(let fd): media = .fileDescriptor(fd)
        case .location(let path): media = .path(path)
        }
        let pipeline = try EncodePipeline(input: media, options: options)
        if let streamID { pipeline.streamID = streamID }
        return PipelineSource(pipeline)
    }
}

final class PipelineSource: TokenSource {
    private let pipeline: EncodePipeline
    init(_ pipeline: EncodePipeline) { self.pipeline = pipeline }

    func run(emit: ([Packet]) throws -> Void, shouldStop: @escaping @Sendable () -> Bool) -> SourceOutcome {
        let summary = pipeline.run(packets: emit, shouldStop: shouldStop)
        return SourceOutcome(reason: summary.reason, message: summary.message, damage: summary.inputDamage)
    }
}
