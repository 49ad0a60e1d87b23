// Writes decoded frames on a thread of its own, behind the engine, so FFmpeg's scale, encode and mux of frame n
// overlap with the decoder's work on the next latent (issue 10: the mirror of FramePrefetcher on the encode
// side). At most `capacity` frames wait (4: one latent's group, so the engine hands a whole group over and goes
// on). The MediaWriter is used by this thread only between init and drain(); the caller calls its finish()
// after drain() returns.
//
// Errors stay what they were: the first frame the writer refuses stops the writing (later frames are dropped,
// as the decode stopped there before), and drain() returns the error with the decode's summary as it was when
// that frame was queued, so the caller reports the same failure, counts and exit status as a synchronous write.
import Foundation
import VtokMedia

final class FrameWriteBehind: @unchecked Sendable {      // state under `lock`
    /// One frame to write: (height, width, 3) RGB24 at `pts`, scaled by `scaler` first when a later segment has
    /// another size; `summary` is the decode's summary when it was queued (returned if this frame fails).
    struct Item {
        var pixels: [UInt8]
        var width: Int
        var height: Int
        var pts: Int64
        var scaler: SegmentScaler?
        var summary: DecodeSummary
    }

    /// How the writing ended.
    struct Outcome {
        /// Frames the writer accepted.
        var written = 0
        /// The first frame's error, with the summary queued with that frame.
        var failure: (error: any Error, summary: DecodeSummary)?
    }

    private let writer: MediaWriter
    private let capacity: Int
    private let lock = NSCondition()
    private var items: [Item] = []
    private var closed = false
    private var running = true
    private var outcome = Outcome()

    /// Starts the writing thread at once.
    init(writer: MediaWriter, capacity: Int = 4) {
        self.writer = writer
        self.capacity = max(1, capacity)
        let thread = Thread { [self] in consume() }
        thread.name = "vtok-media-write"
        thread.start()
    }

    /// Queues a frame, waiting while `capacity` are queued. false: the writer has failed (the frame is dropped);
    /// stop decoding, drain() says why.
    func write(_ item: Item) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while items.count >= capacity && outcome.failure == nil { lock.wait() }
        guard outcome.failure == nil else { return false }
        items.append(item)
        lock.broadcast()
        return true
    }

    /// Whether a frame has failed (nothing more will be written).
    var hasFailed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return outcome.failure != nil
    }

    /// Waits until every queued frame is written (or the writer failed) and the thread has ended.
    func drain() -> Outcome {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        lock.broadcast()
        while running { lock.wait() }
        return outcome
    }

    private func consume() {
        while true {
            lock.lock()
            while items.isEmpty && !closed { lock.wait() }
            guard !items.isEmpty else {
                running = false
                lock.broadcast()
                lock.unlock()
                return
            }
            let item = items.removeFirst()
            lock.broadcast()
            lock.unlock()

            var failed: (any Error)?
            do {
                if let scaler = item.scaler {
                    try writer.write(pixels: scaler.scale(item.pixels), width: scaler.to.width, height: scaler.to.height,
                                     pts: item.pts)
                } else {
                    try writer.write(pixels: item.pixels, width: item.width, height: item.height, pts: item.pts)
                }
            } catch {
                failed = error
            }

            lock.lock()
            if let failed {
                outcome.failure = (failed, item.summary)
                items.removeAll()
                running = false
                lock.broadcast()
                lock.unlock()
                return
            }
            outcome.written += 1
            lock.unlock()
        }
    }
}
