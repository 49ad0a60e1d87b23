// Reads frames on a thread of its own, a few ahead of the engine, so FFmpeg's demux, decode and scale of frame
// n+1 overlap with the engine's work on frame n (issue 10: on 2 cores an HD source's decode costs about as much
// as the encoder). Used for regular files only: a read there always ends, so the pipeline can wait for the
// thread before it returns and no read ever outlives the run. Pipes, sockets and devices are read on the
// calling thread as before (a blocked read must not outlive a session whose descriptor the daemon then closes).
import Foundation
import VtokMedia

final class FramePrefetcher: @unchecked Sendable {       // state under `lock`
    /// What the reader gave (a frame, with its pts, or a size change), with the reader's info as it was right
    /// after (sizes change at a size change).
    enum Item {
        case event(MediaEvent, MediaInfo)
        case failed(MediaError)
        case end

        /// One read of `reader` on the calling thread, as an item.
        static func read(_ reader: MediaReader) -> Item {
            do throws(MediaError) {
                guard let event = try reader.next() else { return .end }
                return .event(event, reader.info)
            } catch {
                return .failed(error)
            }
        }
    }

    private let reader: MediaReader
    private let capacity: Int
    private let lock = NSCondition()
    private var items: [Item] = []
    private var cancelled = false
    private var running = true
    private var lastDiagnostics: MediaDiagnostics

    /// Starts reading at once; at most `capacity` items wait for `next()`.
    init(reader: MediaReader, capacity: Int = 4) {
        self.reader = reader
        self.capacity = max(1, capacity)
        lastDiagnostics = reader.diagnostics
        let thread = Thread { [self] in produce() }
        thread.name = "vtok-media-read"
        thread.start()
    }

    private func produce() {
        var done = false
        while !done {
            let item = Item.read(reader)
            if case .end = item { done = true }
            if case .failed = item { done = true }
            lock.lock()
            while items.count >= capacity && !cancelled { lock.wait() }
            if cancelled { done = true } else { items.append(item) }
            lastDiagnostics = reader.diagnostics
            lock.broadcast()
            lock.unlock()
        }
        lock.lock()
        running = false
        lock.broadcast()
        lock.unlock()
    }

    /// The next item, in order; blocks until the reader has one.
    func next() -> Item {
        lock.lock()
        defer { lock.unlock() }
        while items.isEmpty && running { lock.wait() }
        guard !items.isEmpty else { return .end }
        let item = items.removeFirst()
        lock.broadcast()
        return item
    }

    /// Stops reading ahead and waits for the thread to finish its current read; returns the reader's
    /// diagnostics as the thread left them.
    func finish() -> MediaDiagnostics {
        lock.lock()
        defer { lock.unlock() }
        cancelled = true
        lock.broadcast()
        while running { lock.wait() }
        return lastDiagnostics
    }
}
