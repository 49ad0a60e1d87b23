// A rational number for frame rates and time bases, mirroring FFmpeg's AVRational without exposing it.

/// `num / den`, e.g. a frame rate of 30000/1001 or a time base of 1/90000.
public struct Rational: Hashable, Sendable, CustomStringConvertible {
    public var num: Int
    public var den: Int

    public init(_ num: Int, _ den: Int) {
        self.num = num
        self.den = den
    }

    /// True when both parts are positive (FFmpeg uses 0/1 or 0/0 for "unknown").
    public var isValid: Bool { num > 0 && den > 0 }

    public var doubleValue: Double { den == 0 ? 0 : Double(num) / Double(den) }

    /// The reciprocal: a frame rate's natural time base and back.
    public var inverted: Rational { Rational(den, num) }

    public var description: String { "\(num)/\(den)" }

    /// Rescales `value` from time base `from` to time base `to`, rounding to nearest (half away from zero),
    /// like `av_rescale_q_rnd(..., AV_ROUND_NEAR_INF)`. Exact in integer arithmetic unless it would overflow,
    /// then falls back to Double.
    public static func rescale(_ value: Int64, from: Rational, to: Rational) -> Int64 {
        // value * from.num * to.den / (from.den * to.num)
        let a = Int64(from.num) , b = Int64(to.den), c = Int64(from.den), d = Int64(to.num)
        let (nb, o1) = a.multipliedReportingOverflow(by: b)
        let (den, o2) = c.multipliedReportingOverflow(by: d)
        let (num, o3) = value.multipliedReportingOverflow(by: nb)
        guard !o1, !o2, !o3, den != 0 else {
            let x = (Double(value) * Double(a) * Double(b) / (Double(c) * Double(d))).rounded(.toNearestOrAwayFromZero)
            // Saturate instead of trapping: timestamps come from outside.
            guard x.isFinite else { return x < 0 ? Int64.min : Int64.max }
            if x >= 9.2e18 { return Int64.max }
            if x <= -9.2e18 { return Int64.min }
            return Int64(x)
        }
        let q = num / den, r = num % den
        // Round half away from zero.
        if 2 * r.magnitude >= den.magnitude {
            return q + ((num < 0) != (den < 0) ? -1 : 1)
        }
        return q
    }
}
