// `vtok encode` of many inputs into a folder: N streams at once, each written under a temporary name beside its
// target and renamed when its END is written, failures recorded and skipped, a JSON Lines results manifest.
import Foundation
import Glibc
import Synchronization
import VtokChecksum
import VtokEngine
import VtokPipeline

/// Set by SIGINT/SIGTERM during a batch: running streams stop, their partial files are removed.
private let batchStopRequested = Atomic<Bool>(false)

struct BatchEncode {
    var items: [BatchItem]                 // this shard's items
    var total: Int                         // items in this shard, before --resume
    var options: EncodeOptions
    var jobs: Int
    var resume: Bool
    var results: BatchResultsFile

    /// Counts shared by the workers and the progress line.
    private final class Tally: @unchecked Sendable {     // every field is read and written under `lock`
        let lock = NSLock()
        var next = 0, done = 0, failed = 0, frames = 0, outputFailures = 0, interrupted = 0
        var inFlight: Set<String> = []    // partial files being written
        var recordError: String?
    }

    /// Runs the batch; returns the exit status (0 all written, 1 an input failed, 2 an output could not be
    /// written, 130 interrupted).
    func run() -> Int32 {
        var pending: [BatchItem] = []
        var skipped = 0
        for item in items {
            if resume, FileManager.default.fileExists(atPath: item.output) { skipped += 1 } else { pending.append(item) }
        }
        let tally = Tally()
        let start = Date()
        let workers = max(1, min(jobs, pending.count))
        installStopHandlers()
        let finished = DispatchSemaphore(value: 0)
        let work = pending, opts = options, results = self.results
        for _ in 0..<workers {
            Thread.detachNewThread {
                while !batchStopRequested.load(ordering: .relaxed) {
                    tally.lock.lock()
                    let i = tally.next
                    tally.next += 1
                    tally.lock.unlock()
                    if i >= work.count { break }
                    let partial = BatchEncode.partialPath(work[i].output)
                    tally.lock.lock()
                    tally.inFlight.insert(partial)
                    tally.lock.unlock()
                    let outcome = BatchEncode.encode(work[i], options: opts)
                    tally.lock.lock()
                    tally.inFlight.remove(partial)
                    switch outcome {
                    case .interrupted: tally.interrupted += 1
                    case .finished(let record, let outputFailed):
                        tally.done += 1
                        tally.frames += record.frames
                        if record.error != nil { tally.failed += 1 }
                        if outputFailed { tally.outputFailures += 1 }
                        do { try results.append(record) } catch { tally.recordError = "\(error)" }
                        if let e = record.error {
                            if Terminal.showsProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                            Terminal.error("\(record.input): \(e)")
                        }
                    }
                    tally.lock.unlock()
                }
                finished.signal()
            }
        }
        // The progress line: drawn at once, then twice a second (and when a worker ends) until all have ended.
        var running = workers, drawn = false
        var stopSeen: Date?
        while true {
            if batchStopRequested.load(ordering: .relaxed) {
                // An input blocked in a read (a pipe, a network stream) may not see the stop: after a grace
                // period the partial files still being written are removed and the process exits.
                let seen = stopSeen ?? Date()
                stopSeen = seen
                if Date().timeIntervalSince(seen) > Self.stopGraceSeconds {
                    tally.lock.lock()
                    for partial in tally.inFlight { unlink(partial) }
                    tally.lock.unlock()
                    if drawn { Terminal.endProgress() }
                    Terminal.error("interrupted: inputs still running were abandoned (run again with --resume)")
                    exit(130)
                }
            }
            tally.lock.lock()
            let (done, failed, frames) = (tally.done, tally.failed, tally.frames)
            tally.lock.unlock()
            Terminal.progress(Self.progressLine(done: done, failed: failed, skipped: skipped, total: total,
                                                frames: frames, seconds: Date().timeIntervalSince(start)))
            drawn = Terminal.showsProgress
            if running == 0 { break }
            if finished.wait(timeout: .now() + 0.5) == .success { running -= 1 }
        }
        if drawn { Terminal.endProgress() }
        let seconds = Date().timeIntervalSince(start)
        if Terminal.showsProgress {
            Terminal.note(String(format: "%d encoded, %d failed, %d skipped (already done) in %.1f s: %.2f clips/s, "
                                 + "%.1f frames/s; results in %@", tally.done - tally.failed, tally.failed, skipped,
                                 seconds, Double(tally.done) / max(seconds, 1e-9),
                                 Double(tally.frames) / max(seconds, 1e-9), results.path))
        }
        if let e = tally.recordError { Terminal.error(e); return ExitCodes.outputFailure }
        if batchStopRequested.load(ordering: .relaxed) {
            Terminal.error("interrupted: \(tally.done) input(s) finished, \(pending.count - tally.done) left "
                           + "(run again with --resume)")
            return 130
        }
        if tally.outputFailures > 0 { return ExitCodes.outputFailure }
        return tally.failed > 0 ? ExitCodes.failure : 0
    }

    static func progressLine(done: Int, failed: Int, skipped: Int, total: Int, frames: Int, seconds: Double) -> String {
        let rate = Double(done) / max(seconds, 1e-9)
        let left = total - skipped - done
        var eta = "--:--"
        if done > 0 {
            let s = Int((Double(left) / rate).rounded())
            eta = s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                            : String(format: "%d:%02d", s / 60, s % 60)
        }
        return String(format: "%d/%d done, %d failed, %d skipped  %.2f clips/s  %.0f frames/s  ETA %@",
                      done + skipped, total, failed, skipped, rate, Double(frames) / max(seconds, 1e-9), eta)
    }

    /// How long running inputs get to stop by themselves after SIGINT/SIGTERM.
    static let stopGraceSeconds = 2.0

    /// Where an output is written until its stream is complete: a dot-named file beside it.
    static func partialPath(_ output: String) -> String {
        (output as NSString).deletingLastPathComponent + "/." + (output as NSString).lastPathComponent + ".partial"
    }

    enum Outcome {
        case finished(BatchRecord, outputFailed: Bool)
        case interrupted
    }

    /// Encodes one input to `<dir>/.<name>.partial`, renamed to its output once the stream is complete.
    static func encode(_ item: BatchItem, options: EncodeOptions) -> Outcome {
        let start = Date()
        var record = BatchRecord(input: item.input, output: nil)
        func done(_ error: String? = nil, output: Bool = false) -> Outcome {
            record.error = error
            record.seconds = Date().timeIntervalSince(start)
            return .finished(record, outputFailed: output)
        }
        let dir = (item.output as NSString).deletingLastPathComponent
        let temp = partialPath(item.output)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            return done("cannot create the folder '\(dir)'", output: true)
        }
        let pipeline: EncodePipeline
        do { pipeline = try EncodePipeline(input: .path(item.input), options: options) } catch {
            return done("\(error)")
        }
        let summary: EncodeSummary
        do {
            let sink = try ByteSink(path: temp)
            summary = pipeline.run(emit: { try sink.write($0) },
                                   shouldStop: { batchStopRequested.load(ordering: .relaxed) })
            if summary.failure == nil, fsync(sink.fd) != 0 {
                unlink(temp)
                return done("cannot write '\(temp)': \(String(cString: strerror(errno)))", output: true)
            }
        } catch {
            unlink(temp)
            return done("\(error)", output: true)
        }
        if summary.reason == .shutdown, batchStopRequested.load(ordering: .relaxed) {
            unlink(temp)
            return .interrupted
        }
        record.frames = summary.framesIn
        record.latentFrames = summary.latentsOut
        record.bytes = summary.bytesOut
        if let failure = summary.failure {
            unlink(temp)
            if case .output = failure { return done(failure.description, output: true) }
            return done(failure.description)
        }
        if summary.reason == .sourceChanged {
            unlink(temp)
            return done("\(summary.message) (--on-size-change fail)")
        }
        if let damage = summary.inputDamage { record.warning = "input damaged: " + damage }
        guard let bytes = FileManager.default.contents(atPath: temp) else {
            unlink(temp)
            return done("cannot read back '\(temp)'", output: true)
        }
        guard rename(temp, item.output) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temp)
            return done("cannot rename '\(temp)' to '\(item.output)': \(why)", output: true)
        }
        record.output = item.output
        record.bytes = bytes.count
        record.sha256 = SHA256.hexDigest(Array(bytes))
        return done()
    }

    private func installStopHandlers() {
        batchStopRequested.store(false, ordering: .relaxed)
        signal(SIGINT) { _ in batchStopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in batchStopRequested.store(true, ordering: .relaxed) }
    }
}
