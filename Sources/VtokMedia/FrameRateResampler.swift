// Output-frame-rate conversion by timestamp, like FFmpeg's fps filter: each output slot of 1/rate
// seconds shows the latest input frame that started at or before it. Pure: no FFmpeg.

/// Drops or duplicates items so they come out at a constant `outputRate`.
///
/// Input pts (in `inputTimeBase`) are mapped to output slots `round(pts * inputTimeBase * outputRate)`;
/// output pts are slot numbers, i.e. in time base `1/outputRate`, starting at the first input's slot.
/// When two inputs land in one slot the later wins (the earlier is dropped); when an input skips slots
/// the previous one is repeated to fill them, up to `maxFill` slots: a longer jump (a broken timestamp, a
/// stream restarted hours later) is a discontinuity, and the output jumps with it instead of repeating. `flush()` emits the last input once; pushing after a flush
/// continues without reusing a slot.
public struct FrameRateResampler<Item> {
    public let inputTimeBase: Rational
    public let outputRate: Rational
    private var pending: Item?
    private var nextSlot: Int64 = 0
    private var started = false

    /// The most repeated outputs one gap may produce.
    public let maxFill: Int64

    public init(inputTimeBase: Rational, outputRate: Rational, maxFill: Int64 = 1024) {
        self.inputTimeBase = inputTimeBase
        self.outputRate = outputRate
        self.maxFill = max(1, maxFill)
    }

    /// The output time base, `1/outputRate`.
    public var outputTimeBase: Rational { outputRate.inverted }

    /// The output slot of an input timestamp.
    public func slot(of pts: Int64) -> Int64 {
        Rational.rescale(pts, from: inputTimeBase, to: outputTimeBase)
    }

    /// Feeds one input; returns the outputs that became final, each with its output pts.
    public mutating func push(_ item: Item, pts: Int64) -> [(item: Item, pts: Int64)] {
        let s = slot(of: pts)
        guard let previous = pending else {
            // First input ever: the output starts at its slot. After a flush: never reuse a slot.
            nextSlot = started ? max(nextSlot, s) : s
            started = true
            pending = item
            return []
        }
        var out: [(item: Item, pts: Int64)] = []
        let (gap, overflow) = s.subtractingReportingOverflow(nextSlot)
        if s > nextSlot && (overflow || gap > maxFill) {   // discontinuity: show the previous once, go on at the new slot
            out.append((previous, nextSlot))
            nextSlot = s
        }
        while nextSlot < s {
            out.append((previous, nextSlot))
            nextSlot += 1
        }
        pending = item
        return out
    }

    /// Emits the last pending input, if any.
    public mutating func flush() -> [(item: Item, pts: Int64)] {
        guard let last = pending else { return [] }
        pending = nil
        defer { if nextSlot < .max { nextSlot += 1 } }     // pts from outside may saturate at Int64.max
        return [(last, nextSlot)]
    }
}

/// A value that carries its own presentation time, such as `VideoFrame`: the resampler re-stamps it.
public protocol Timestamped {
    var pts: Int64 { get set }
    /// The time base of `pts`.
    var timeBase: Rational { get set }
}

extension FrameRateResampler where Item: Timestamped {
    /// Feeds one item at its own pts (in `inputTimeBase`); returns the items that became final, each re-stamped
    /// with its output pts in `outputTimeBase`.
    public mutating func push(_ item: Item) -> [Item] {
        push(item, pts: item.pts).map(stamped)
    }

    /// Emits the last pending item, if any, re-stamped.
    public mutating func flushItems() -> [Item] {
        flush().map(stamped)
    }

    private func stamped(_ output: (item: Item, pts: Int64)) -> Item {
        var item = output.item
        item.pts = output.pts
        item.timeBase = outputTimeBase
        return item
    }
}
