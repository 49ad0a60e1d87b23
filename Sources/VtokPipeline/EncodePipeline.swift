// media -> engine -> stream: reads frames, tokenises each completed group, writes one packet per latent frame.
import Foundation
import VtokEngine
import VtokMedia
import VtokStream

/// How an encode run ended.
public struct EncodeSummary: Sendable {
    public var framesIn = 0
    public var latentsOut = 0
    public var segments = 0
    public var bytesOut = 0
    /// The reason written in the END packet.
    public var reason: EndReason = .endOfInput
    public var message = ""
    /// Set when the run failed: the input was bad, or the output went away. nil for a normal end, a limit or
    /// a requested stop.
    public var failure: PipelineError?
    /// Corrupt or skipped input packets reported by the media reader, and the error lines FFmpeg logged for it.
    public var mediaDiagnostics = MediaDiagnostics()

    /// What was damaged in the input, in one line (`MediaDiagnostics.damageSummary`), or nil: what `vtok encode`
    /// and the daemon both report.
    public var inputDamage: String? { mediaDiagnostics.damageSummary }
}

/// Progress after each latent frame: counts and how long the engine took.
public struct EncodeProgress: Sendable {
    public var framesIn: Int
    public var latentsOut: Int
    /// Seconds from the arrival of the frame that completed this latent to its packet being emitted.
    public var latencySeconds: Double
}

/// Tokenises one input into one token stream (docs/token-stream.md). The CLI's `encode` and the daemon both run
/// exactly this, so their outputs are byte-identical for the same input and options (stream id aside).
///
/// ```swift
/// let p = try EncodePipeline(input: .path("clip.mp4"), options: EncodeOptions(model: model))
/// let summary = p.run { bytes in try out.write(bytes) }
/// ```
/// A relay that routes packets (the daemon) runs `run(packets:)` instead: the same packets, as values.
public final class EncodePipeline {
    public let options: EncodeOptions
    private let reader: MediaReader
    /// Whether frames are read ahead on their own thread (FramePrefetcher): regular files, not live inputs.
    private let prefetch: Bool
    /// Stream id for the header; random unless set (tests set it to compare streams byte for byte).
    public var streamID: [UInt8] = StreamHeader.randomStreamID()

    /// Opens the input. Throws when it cannot be opened or holds no video stream.
    public init(input: MediaInput, options: EncodeOptions) throws(PipelineError) {
        self.options = options
        do throws(MediaError) {
            switch input {
            case .path(let p):
                reader = try MediaReader(path: p, options: options.media)
                var st = stat()
                prefetch = p != "-" && !reader.info.isLive && stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
            case .fileDescriptor(let fd):
                reader = try MediaReader(fileDescriptor: fd, options: options.media)
                prefetch = false
            }
        } catch {
            throw .media(error)
        }
    }

    /// What the media layer found: container, codec, sizes, frame rate, time base, live or not.
    public var mediaInfo: MediaInfo { reader.info }

    /// Runs to the end of the input, a limit, `shouldStop()`, or a failure, and always ends the stream with END
    /// (unless the output itself failed). `emit` receives the bytes of whole packets; write and flush them at once.
    public func run(emit: ([UInt8]) throws -> Void, shouldStop: () -> Bool = { false },
                    progress: ((EncodeProgress) -> Void)? = nil) -> EncodeSummary {
        run(packets: { try emit($0.bytes) }, shouldStop: shouldStop, progress: progress)
    }

    /// `run(emit:)` with the packets as values (`Packet`, made by the StreamWriter): each call the packets of
    /// one step (HEADER, TOKENS with a repeated HEADER before it when due, END), to be sent together.
    public func run(packets emit: ([Packet]) throws -> Void, shouldStop: () -> Bool = { false },
                    progress: ((EncodeProgress) -> Void)? = nil) -> EncodeSummary {
        withoutActuallyEscaping(emit) { emit in runLoop(emit: emit, shouldStop: shouldStop, progress: progress) }
    }

    private func runLoop(emit: @escaping ([Packet]) throws -> Void, shouldStop: () -> Bool,
                         progress: ((EncodeProgress) -> Void)?) -> EncodeSummary {
        var run = EncodeRun(options: options, streamID: streamID, emit: emit, progress: progress)
        var firstPTS: Int64?
        let prefetcher = prefetch ? FramePrefetcher(reader: reader) : nil
        var info = reader.info
        loop: while true {
            if shouldStop() {
                run.end(.shutdown, "the encoder was asked to stop")
                break
            }
            let item: FramePrefetcher.Item
            if let prefetcher { item = prefetcher.next() } else { item = .read(reader) }
            let frame: VideoFrame
            switch item {
            case let .event(.frame(f), i):
                frame = f
                info = i
            case let .event(.sizeChanged(change), i):
                info = i
                if options.onSizeChange == .fail {
                    run.end(.sourceChanged, "frame size changed from \(change.old) to \(change.new)")
                    break loop
                }
                run.closeSegment()
                continue
            case let .failed(e):
                run.fail(.media(e), reason: .inputError)
                break loop
            case .end:
                break loop
            }
            if let max = options.limits.maxFrames, run.summary.framesIn >= max {
                run.end(.limitExceeded, "frame limit of \(max) reached")
                break
            }
            if let max = options.limits.maxSeconds {
                let first = firstPTS ?? frame.pts
                firstPTS = first
                if frame.seconds(since: first) >= max {
                    run.end(.limitExceeded, "duration limit of \(max) s reached")
                    break
                }
            }
            guard run.push(frame, info: info) else { break loop }
        }
        run.summary.mediaDiagnostics = prefetcher?.finish() ?? reader.diagnostics
        return run.finish(fallbackSize: info)
    }
}
