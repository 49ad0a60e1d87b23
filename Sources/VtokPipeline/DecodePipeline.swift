// stream -> engine -> media: reads a token stream, decodes each latent frame as it arrives, writes video.
import VtokEngine
import VtokMedia
import VtokStream

/// Where decoded video goes.
public enum MediaOutput: Sendable {
    /// A file path (the extension picks the format, like FFmpeg) or "-" for stdout.
    case path(String)
    case fileDescriptor(Int32)
}

/// How a decode run ended.
public struct DecodeSummary: Sendable {
    public var latentsIn = 0
    public var framesOut = 0
    /// The END packet, when the stream had one.
    public var end: EndInfo?
    /// Bytes skipped because of corruption, and packets lost before a DISCONTINUITY flag or sequence gap.
    public var corruptBytes = 0
    public var missingPackets: UInt64 = 0
    /// The stream stopped without END (the reader's truncation report).
    public var truncated = false
    public var failure: PipelineError?
    /// True when the output is complete and the stream was intact.
    public var isClean: Bool {
        failure == nil && !truncated && corruptBytes == 0 && missingPackets == 0 && shortfall == nil
    }

    /// What END says the stream carried and this decode did not write, e.g. "4 of 9 frames and 1 of 3 latent
    /// frames missing"; nil without END or when everything arrived.
    public var shortfall: String? {
        guard let end else { return nil }
        let frames = end.framesIn - framesOut, latents = end.latentFramesOut - latentsIn
        guard frames > 0 || latents > 0 else { return nil }
        return "\(max(frames, 0)) of \(end.framesIn) frames and \(max(latents, 0)) of \(end.latentFramesOut) latent frames"
            + " that END counts were not decoded"
    }
}

/// Decodes one token stream into one video. Frames leave as soon as their latent frame has arrived; each latent
/// keeps as many decoded frames as it covered at encode time, with their original pts. The stream is read and
/// decoded on the calling thread, the frames scaled, encoded and muxed behind it on a writer thread
/// (FrameWriteBehind), which has finished when run() returns.
public final class DecodePipeline {
    public let model: VtokModel
    public let output: MediaOutput
    public var writerOptions: MediaWriterOptions
    /// Decode a stream even when its header names other weights than the loaded model.
    public var allowModelMismatch = false
    /// Decode the continuous latents when the stream carries them (else the tokens).
    public var preferContinuous = false
    /// Refuse a header whose model frame is larger than this many pixels, before allocating anything for it
    /// (the same default as encode's `maxPixels`). Bounds the memory a hostile or damaged stream can claim.
    public var maxPixels = 3840 * 2160
    /// The size of the video written (DecodeSize.swift); `vtok decode` asks for the source's.
    public var outputSize: DecodeSize = .model
    /// The library, threads and 3x3 algorithm of the decoder sessions.
    public var compute: ComputeOptions = .default
    /// Called after each latent frame (DecodeSize.swift's DecodeProgress).
    public var progress: ((DecodeProgress) -> Void)?

    public init(model: VtokModel, output: MediaOutput, writerOptions: MediaWriterOptions = MediaWriterOptions()) {
        self.model = model
        self.output = output
        self.writerOptions = writerOptions
    }

    /// `read` fills the buffer with the next bytes of the stream and returns how many (0 at the end).
    public func run(read: (inout [UInt8]) throws -> Int) -> DecodeSummary {
        var state = DecodeRun(pipeline: self)
        var reader = StreamReader()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        outer: while true {
            let n: Int
            do { n = try read(&buffer) } catch {
                state.summary.failure = .output("reading the token stream: \(error)")
                break
            }
            if n == 0 { reader.endInput() }
            else { reader.feed(buffer[0..<n]) }
            while true {
                let event: StreamEvent?
                do { event = try reader.next() } catch {
                    state.summary.failure = .stream(error)
                    break outer
                }
                guard let event else { break }
                if !state.handle(event) { break outer }
            }
            if n == 0 { break }
        }
        if state.summary.failure == nil, state.summary.end == nil, let problem = reader.finish() {
            state.summary.truncated = true
            _ = problem
        }
        return state.finish()
    }
}

struct DecodeRun {
    let pipeline: DecodePipeline
    var summary = DecodeSummary()
    private var header: StreamHeader?
    private var session: DecoderSession?
    private var writer: MediaWriter?
    /// Writes the frames on a thread of its own; nil until the writer is open.
    private var behind: FrameWriteBehind?
    /// Frames of a segment whose size differs from the first one's are scaled to the first one's size.
    private var scaler: SegmentScaler?
    private var lastPTS: Int64?

    init(pipeline: DecodePipeline) { self.pipeline = pipeline }

    /// false: stop reading.
    mutating func handle(_ event: StreamEvent) -> Bool {
        if behind?.hasFailed == true { return false }       // the writer refused a frame: finish() reports it
        switch event {
        case .header(let h):
            return start(h)
        case .tokens(let t):
            return decode(t)
        case .end(let info):
            summary.end = info
            return false
        case .skipped(let bytes, _):
            summary.corruptBytes = summary.corruptBytes.addingSaturating(bytes)
            return true
        case .discontinuity(_, let missing):
            summary.missingPackets = summary.missingPackets.addingSaturating(missing)   // any u64 gap
            return true
        case .unknownPacket:
            return true
        }
    }

    private mutating func start(_ h: StreamHeader) -> Bool {
        if let old = header, old.segment == h.segment, old.streamID == h.streamID { return true }   // a repeat
        let m = pipeline.model
        if !pipeline.allowModelMismatch,
           !m.decodes(encoderSHA256: h.encoderSHA256, weightsSHA256: h.weightsSHA256) || h.levels != m.config.fsqLevels {
            summary.failure = .modelMismatch(stream: "\(h.modelName) (sha256 \(hex(h.weightsSHA256).prefix(12)))",
                                             loaded: "\(m.name) (sha256 \(m.sha256Hex.prefix(12)))")
            return false
        }
        let (pixels, overflow) = h.modelSize.width.multipliedReportingOverflow(by: h.modelSize.height)
        guard !overflow, pixels <= pipeline.maxPixels else {
            summary.failure = .tooManyPixels(size: "\(h.modelSize)", limit: pipeline.maxPixels)
            return false
        }
        let sizeChanged = header.map { $0.modelSize != h.modelSize } ?? false
        header = h
        do {
            if let s = session, !sizeChanged { s.reset() } else {
                // A new segment of another size (§5.3): a fresh session; its frames are scaled to the video's size.
                session = nil
                session = try DecoderSession(model: m, width: h.modelSize.width, height: h.modelSize.height,
                                             compute: pipeline.compute)
            }
            if let writer {
                let target = (width: writer.inputSize.width, height: writer.inputSize.height)
                let source = (width: h.modelSize.width, height: h.modelSize.height)
                scaler = source == target ? nil : SegmentScaler(from: source, to: target)
            }
            if writer == nil {
                let size = pipeline.outputSize.resolve(h)
                var options = pipeline.writerOptions
                options.inputSize = FrameSize(width: h.modelSize.width, height: h.modelSize.height)
                let rate = Rational(h.frameRate.num, h.frameRate.den)
                let tb = Rational(h.timeBase.num, h.timeBase.den)
                let w: MediaWriter
                switch pipeline.output {
                case .path(let p):
                    w = try MediaWriter(path: p, size: size, frameRate: rate, timeBase: tb, options: options)
                case .fileDescriptor(let fd):
                    w = try MediaWriter(fileDescriptor: fd, size: size, frameRate: rate, timeBase: tb, options: options)
                }
                writer = w
                behind = FrameWriteBehind(writer: w)
            }
        } catch {
            summary.failure = PipelineError(decoding: error)
            return false
        }
        return true
    }

    private mutating func decode(_ t: TokenFrame) -> Bool {
        guard let session, let behind, let h = header else { return true }   // tokens before any header: skip
        do {
            let frames: [DecodedFrame]
            if pipeline.preferContinuous, let latents = t.latents {
                frames = try session.push(latents: latents)
            } else {
                frames = try session.push(tokens: t.tokens)
            }
            summary.latentsIn += 1
            // Latent 0 yields 1 frame, later ones T; a final partial group keeps the first pts.count of them.
            for (frame, pts) in zip(frames.prefix(t.pts.count), t.pts) {
                // Input damage, not an output failure: the writer needs increasing pts (exit 1, not 2).
                if let last = lastPTS, pts <= last {
                    summary.failure = .timestampsNotIncreasing(previous: last, next: pts)
                    return false
                }
                lastPTS = pts
                // Scaled (if this segment's size differs), encoded and muxed on the writer thread. A frame the
                // writer refuses is reported by finish(), with the summary as it stands here.
                let item = FrameWriteBehind.Item(pixels: frame.rgb, width: h.modelSize.width, height: h.modelSize.height,
                                                 pts: pts, scaler: scaler, summary: summary)
                guard behind.write(item) else { return false }
                summary.framesOut += 1
            }
            pipeline.progress?(DecodeProgress(framesOut: summary.framesOut, latentsIn: summary.latentsIn,
                                              packetBytes: DecodeProgress.packetBytes(t), temporalFactor: h.temporalFactor))
        } catch {
            summary.failure = PipelineError(decoding: error)
            return false
        }
        return true
    }

    mutating func finish() -> DecodeSummary {
        if let behind {
            // Every frame queued is written before the trailer; a frame the writer refused ends the decode there,
            // as a synchronous write would have: its error, and the summary as it was when it was queued.
            let outcome = behind.drain()
            if let (error, before) = outcome.failure {
                summary = before
                summary.failure = PipelineError(decoding: error)
            }
            summary.framesOut = outcome.written
        }
        if let writer {
            do { try writer.finish() } catch {
                if summary.failure == nil { summary.failure = .output("\(error)") }
            }
        } else if summary.failure == nil {
            summary.failure = .stream(.missingHeader)
        }
        return summary
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
