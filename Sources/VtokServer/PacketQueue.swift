// A broadcast client's bounded queue: drops whole packets when full, and marks the next one it keeps
// with DISCONTINUITY (docs/token-stream.md §5.5).
import Foundation
import VtokStream

/// Packets waiting for one client's writer thread. The source thread pushes and never waits; the writer
/// pops and waits. HEADERs of a new segment and END are always kept (§5.5), so the queue may exceed its
/// capacity by those few packets.
final class PacketQueue: @unchecked Sendable {
    struct Item {
        var bytes: [UInt8]
        /// When the pipeline emitted it (monotonic seconds), for the delivery-latency histogram.
        var emitted: Double
    }

    let capacity: Int
    private let condition = NSCondition()
    private var items: [Item] = []
    private var head = 0
    private var markNext = false
    private var closed = false
    private var aborted = false
    /// Packets dropped because the queue was full.
    private(set) var dropped = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Queues `packet`, or drops it when it is droppable and the queue is full. Returns whether it was kept.
    @discardableResult
    func push(_ packet: Packet, emitted: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, !aborted else { return false }
        if packet.isDroppable && items.count - head >= capacity {
            dropped += 1
            markNext = true
            return false
        }
        let kept = markNext ? packet.markedDiscontinuous() : packet
        markNext = false
        items.append(Item(bytes: kept.bytes, emitted: emitted))
        condition.signal()
        return true
    }

    /// The next packet, waiting for one; nil once the queue is closed and empty, or aborted.
    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed && !aborted { condition.wait() }
        guard !aborted, head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head > 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    /// No more packets: the writer sends what is queued (END last) and stops.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Discards everything: the client is gone.
    func abort() {
        condition.lock()
        aborted = true
        items.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return items.count - head
    }
}

/// Monotonic seconds (CLOCK_MONOTONIC), for intervals that must not jump with the wall clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
