// Makes decoded timestamps usable downstream: present and strictly increasing. Pure: no FFmpeg.

/// Turns decoder timestamps (possibly missing, repeated, or jumping backwards, e.g. at the seam of two
/// concatenated MPEG-TS files) into a strictly increasing sequence in the same time base.
///
/// - A missing pts becomes `last + frameDuration` (0 for the first frame).
/// - A pts that is not after the last one starts a new offset, so the frame lands at `last + frameDuration`
///   and the following frames keep their original spacing.
public struct TimestampSanitizer: Sendable {
    /// Nominal frame duration in ticks of the time base (at least 1).
    public let frameDuration: Int64
    public private(set) var last: Int64?
    /// Added to every incoming pts; grows at each backward jump.
    public private(set) var offset: Int64 = 0
    /// How many timestamps were synthesized or moved.
    public private(set) var repaired = 0

    /// Timestamps come from outside: every sum below wraps instead of trapping, and the duration is
    /// clamped so that arithmetic on it stays far from overflow.
    static let maxFrameDuration: Int64 = 1 << 40

    public init(frameDuration: Int64) {
        self.frameDuration = min(Self.maxFrameDuration, max(1, frameDuration))
    }

    /// The nominal duration of one frame at `frameRate` in `timeBase` ticks (1 when either is unknown).
    public static func frameDuration(frameRate: Rational, timeBase: Rational) -> Int64 {
        guard frameRate.isValid, timeBase.isValid else { return 1 }
        return max(1, Rational.rescale(1, from: frameRate.inverted, to: timeBase))
    }

    /// The sanitized pts for the next frame; `raw` is nil when the decoder had none.
    public mutating func next(_ raw: Int64?) -> Int64 {
        let pts: Int64
        if let raw {
            let adjusted = raw &+ offset
            if let last, adjusted <= last {
                offset = offset &+ (last &+ frameDuration &- adjusted)
                pts = last &+ frameDuration
                repaired += 1
            } else {
                pts = adjusted
            }
        } else {
            pts = last.map { $0 &+ frameDuration } ?? 0
            repaired += 1
        }
        last = pts
        return pts
    }
}
