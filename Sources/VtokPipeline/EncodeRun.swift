// The state of one encode run: the engine session of the current segment, the stream writer, and the timeline
// of the frames pushed but not yet covered by a latent frame.
import Glibc
import VtokEngine
import VtokMedia
import VtokStream

struct EncodeRun {
    let options: EncodeOptions
    let streamID: [UInt8]
    let emit: ([Packet]) throws -> Void
    let progress: ((EncodeProgress) -> Void)?
    var summary = EncodeSummary()
    private var writer: StreamWriter?
    private var session: EncoderSession?
    private var timeline = FrameTimeline()        // the pts of the session's frames not yet in a packet
    private var outputBroken = false
    private var ended = false

    init(options: EncodeOptions, streamID: [UInt8], emit: @escaping ([Packet]) throws -> Void,
         progress: ((EncodeProgress) -> Void)?) {
        self.options = options
        self.streamID = streamID
        self.emit = emit
        self.progress = progress
    }

    /// Pushes one frame; false when the run must stop (output gone or engine failure).
    mutating func push(_ frame: VideoFrame, info: MediaInfo) -> Bool {
        if session == nil, !startSegment(width: frame.width, height: frame.height, info: info) { return false }
        guard let session else { return false }
        let arrived = monotonicSeconds()
        timeline.append(frame)
        summary.framesIn += 1
        do {
            let latents = try session.push(frame: frame.pixels)
            return write(latents, arrived: arrived)
        } catch {
            fail(.engine(error), reason: .encoderError)
            return false
        }
    }

    /// Ends the current segment (its partial last group is completed); the next frame starts a new one.
    mutating func closeSegment() {
        guard let s = session else { return }
        _ = write(s.finish(), arrived: monotonicSeconds())
        session = nil
        timeline.reset()
    }

    mutating func end(_ reason: EndReason, _ message: String) {
        summary.reason = reason
        summary.message = message
    }

    mutating func fail(_ error: PipelineError, reason: EndReason) {
        summary.failure = error
        end(reason, error.description)
    }

    /// Completes the last group, writes END, and returns the summary.
    mutating func finish(fallbackSize info: MediaInfo) -> EncodeSummary {
        closeSegment()
        if writer == nil, !outputBroken {
            // Not a single frame: still describe the stream and say why it ended.
            let size = info.outputSize
            let f = options.model.config.spatialFactor
            if size.width > 0, size.height > 0, size.width % f == 0, size.height % f == 0 {
                _ = startSegment(width: size.width, height: size.height, info: info)
                session = nil
            }
            if summary.failure == nil, summary.reason == .endOfInput {
                fail(.media(.noFrames(url: info.url)), reason: .inputError)
            }
        }
        if var w = writer, !outputBroken {
            send(w.endPackets(reason: summary.reason, message: summary.message))
            writer = w
        }
        return summary
    }

    private mutating func startSegment(width: Int, height: Int, info: MediaInfo) -> Bool {
        let model = options.model
        do {
            session = try EncoderSession(model: model, width: width, height: height, emitContinuous: options.continuous,
                                         compute: options.compute)
        } catch {
            fail(.engine(error), reason: .encoderError)
            return false
        }
        let c = model.config
        let f = c.spatialFactor
        let header = StreamHeader(
            modelName: model.name, weightsSHA256: model.sha256, encoderSHA256: model.encoderSHA256, levels: c.fsqLevels, temporalFactor: c.temporalFactor,
            spatialFactor: f, latentHeight: height / f, latentWidth: width / f,
            sourceSize: .init(width: info.sourceSize.width, height: info.sourceSize.height),
            frameRate: .init(info.frameRate.num, info.frameRate.den), timeBase: .init(info.timeBase.num, info.timeBase.den),
            streamID: streamID, flags: options.continuous ? .continuousLatents : [])
        do {
            if var w = writer {
                let packets = try w.newSegmentPackets(header)
                writer = w
                send(packets)
            } else {
                var w = try StreamWriter(header: header, headerRepeatInterval: options.headerRepeat)
                let packets = w.beginPackets()
                writer = w
                send(packets)
            }
        } catch {
            fail(.stream(error), reason: .encoderError)
            return false
        }
        summary.segments += 1
        return !outputBroken
    }

    private mutating func write(_ latents: [EncodedLatent], arrived: Double) -> Bool {
        guard var w = writer else { return false }
        for l in latents {
            let pts = timeline.take(l)
            do {
                let packets = try w.tokensPackets(pts: pts, tokens: l.tokens, latents: l.latents)
                writer = w
                send(packets)
            } catch {
                writer = w
                fail(.stream(error), reason: .encoderError)
                return false
            }
            if outputBroken { return false }
            summary.latentsOut += 1
            progress?(EncodeProgress(framesIn: summary.framesIn, latentsOut: summary.latentsOut,
                                     latencySeconds: monotonicSeconds() - arrived))
        }
        return true
    }

    /// Hands the packets of one writer call to `emit` together (the CLI writes and flushes them at once).
    private mutating func send(_ packets: [Packet]) {
        guard !outputBroken, !packets.isEmpty else { return }
        do {
            try emit(packets)
            summary.bytesOut += packets.reduce(0) { $0 + $1.bytes.count }
        } catch {
            outputBroken = true
            summary.failure = .output("\(error)")
        }
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
