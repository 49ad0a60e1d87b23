// Saturating arithmetic for counts and values read from outside: a hostile stream can make any u64 sequence
// gap or i64 pts, and a sum of them must stick at the maximum, never trap (docs/token-stream.md §8).

extension FixedWidthInteger {
    /// `self + other`, or the type's bound when that overflows.
    @inlinable
    public func addingSaturating(_ other: Self) -> Self {
        let (r, overflow) = addingReportingOverflow(other)
        guard overflow else { return r }
        return other < 0 ? .min : .max
    }

    /// `self * other`, or the type's bound when that overflows.
    @inlinable
    public func multipliedSaturating(by other: Self) -> Self {
        let (r, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return r }
        return (self < 0) != (other < 0) ? .min : .max
    }
}
