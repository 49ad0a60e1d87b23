// The seam between the daemon and the media -> engine -> stream pipeline (VtokPipeline). A TokenSource turns
// one input into one token stream, handed over as packet values (VtokStream's `Packet`); the daemon routes
// them, renumbers or marks them through `Packet`'s methods, and enforces its own limits. It never parses them.
import VtokStream

/// Where a stream's media comes from.
public enum SourceInput: Sendable, Equatable {
    /// A readable descriptor: the daemon's pipe carrying a client's bytes (tokenise on connect).
    case fileDescriptor(Int32)
    /// A device, file or URL given with `--source` (the live broadcast).
    case location(String)
}

/// How one run of a pipeline ended, as its END packet says.
public struct SourceOutcome: Sendable, Equatable {
    public var reason: EndReason
    public var message: String
    /// What was damaged in the input although the stream went on (skipped packets, truncation, what only
    /// FFmpeg's log said), in the words `vtok encode` prints after "input damaged: "; nil for an intact input.
    public var damage: String?
    public init(reason: EndReason, message: String = "", damage: String? = nil) {
        self.reason = reason
        self.message = message
        self.damage = damage
    }
}

/// One opened pipeline. `run` writes the whole token stream through `emit` (HEADER, TOKENS..., END; each call
/// the packets of one step, made by a `StreamWriter`, to be sent together), checks `shouldStop` between latent
/// frames and then ends with END(shutdown), and never throws for bad input: it ends with END(inputError).
/// When `emit` throws (the client went away) it stops.
public protocol TokenSource: AnyObject {
    func run(emit: ([Packet]) throws -> Void, shouldStop: @escaping @Sendable () -> Bool) -> SourceOutcome
}

/// Opens pipelines. Shared by every session thread, so it must be safe to call concurrently; the model
/// weights are loaded once and shared, never per session. The factory owns the media limits (pixels, frames,
/// seconds of media: `EncodeOptions` for the real one); they apply to every session and to the live source.
public protocol TokenSourceFactory: Sendable {
    /// Opens `input` (reading enough to know the frame size). Throws when the input cannot be opened or
    /// is not media; the session then sends END(inputError) with the error's description.
    func makeSource(input: SourceInput) throws -> any TokenSource
}

/// The daemon's own per-session limits: what only the daemon sees (bytes in, wall clock, stalls, a client
/// that does not read). The media limits (--max-pixels, --max-frames, --max-seconds) are not here: the
/// pipeline enforces them, so they travel once, in the options the `TokenSourceFactory` was made with
/// (`EncodeOptions`, exactly as for `vtok encode`), never as a second copy to merge.
public struct SessionLimits: Sendable, Equatable {
    /// Most bytes a client may send (tokenise on connect); beyond it the input is cut and the stream ends.
    public var maxInputBytes: Int?
    /// Most wall-clock seconds a session may last (nil: no limit); then its input is cut and the stream
    /// ends with END(limitExceeded). Also bounds a client that reads its tokens back a byte at a time.
    public var maxSessionSeconds: Double?
    /// Least input, in bytes per second over each `rateWindow` seconds from the connection on, a client must
    /// send until it half-closes (nil: none). A slower client is cut: END(limitExceeded). Ends clients that
    /// trickle a byte now and then to hold a session slot without tripping the idle timeout.
    public var minInputRate: Double?
    /// The window, in seconds, over which `minInputRate` is measured.
    public var rateWindow: Double
    /// A client that sends nothing for this long, without having half-closed, is cut off.
    public var idleTimeout: Double
    /// A client that reads nothing for this long is disconnected (SO_SNDTIMEO).
    public var writeTimeout: Double

    public init(maxInputBytes: Int? = 4 << 30, maxSessionSeconds: Double? = Self.defaultMaxSessionSeconds,
                idleTimeout: Double = 30, writeTimeout: Double = 30,
                minInputRate: Double? = Self.defaultMinInputRate, rateWindow: Double = Self.defaultRateWindow) {
        self.maxInputBytes = maxInputBytes
        self.maxSessionSeconds = maxSessionSeconds
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.minInputRate = minInputRate
        self.rateWindow = rateWindow
    }

    /// Two hours of wall clock: an hour of media at well under real-time speed.
    public static let defaultMaxSessionSeconds: Double = 7200
    /// 256 bytes/s: far below any real video stream (a still H.264 picture in NUT at 25 fps is about 500 B/s,
    /// MPEG-TS at least 4.7 kB/s), far above a trickle of a byte every few seconds.
    public static let defaultMinInputRate: Double = 256
    public static let defaultRateWindow: Double = 30

    /// The first limit out of range, or nil.
    func violation() -> String? {
        if let m = maxSessionSeconds, !(m > 0) { return "--max-session-seconds must be positive" }
        if let r = minInputRate, !(r > 0) { return "--min-input-rate must be positive" }
        if !(rateWindow > 0) { return "--rate-window must be positive" }
        return nil
    }
}
