// SIGINT (Ctrl-C) and SIGTERM during `vtok encode`: the stream still ends with END, reason `interrupted`
// (docs/token-stream.md §4.3), and the exit status says which signal it was (130, 143).
//
// The first signal asks the pipeline to stop at the next whole latent frame; it then writes its END, which is
// rewritten to END(interrupted). If the pipeline does not get there within `grace` seconds (it waits for input
// from a silent pipe or camera), or a second signal comes, a watcher thread writes END(interrupted) itself,
// after the last whole packet, and exits.
import Foundation
import Glibc
import VtokStream

/// Written only by the signal handler: the signal number, and the pipe that wakes the watcher.
nonisolated(unsafe) private var interruptSignal: Int32 = 0
nonisolated(unsafe) private var interruptWakeFD: Int32 = -1

final class EncodeInterrupt: @unchecked Sendable {
    /// Seconds the pipeline has to reach its END after the first signal.
    let grace: Double
    private let lock = NSLock()            // guards everything below and every write to `fd`
    private var fd: Int32?                 // the output, once it is open
    private var sequence: UInt64?          // of the last packet written
    private var framesIn = 0
    private var latentsOut = 0
    private var ended = false
    private var finished = false
    private var rewrote = false

    /// Installs the handlers for SIGINT and SIGTERM and starts the watcher.
    init(grace: Double = 2) {
        self.grace = grace
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }   // without the pipe the default actions stay
        for f in fds { _ = fcntl(f, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        interruptWakeFD = fds[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { number in
            let saved = errno
            interruptSignal = number
            var b = UInt8(truncatingIfNeeded: number)
            _ = write(interruptWakeFD, &b, 1)
            errno = saved
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        let readFD = fds[0]
        Thread.detachNewThread { [self] in watch(readFD) }
    }

    /// The signal received, if any.
    var signal: Int32? { interruptSignal == 0 ? nil : interruptSignal }

    /// For the pipeline's `shouldStop`.
    var isRequested: Bool { interruptSignal != 0 }

    /// The conventional exit status for death by `signal`: 128 + its number (130 SIGINT, 143 SIGTERM).
    static func exitStatus(_ signal: Int32) -> Int32 { 128 + signal }

    static func name(_ signal: Int32) -> String { signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)" }

    /// The output is open: from now on the watcher may end the stream itself.
    func attach(fd: Int32) {
        lock.lock()
        self.fd = fd
        lock.unlock()
    }

    /// Writes the bytes of `packets` (one pipeline step) with `write`, keeping the counts an END needs; after a
    /// signal, the pipeline's END(shutdown) becomes END(interrupted). Throws once the watcher has ended the stream.
    func emit(_ packets: [Packet], write: ([UInt8]) throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        guard !ended else { throw CLIError("the stream was already ended by the interrupt") }
        var out = packets
        for (i, p) in packets.enumerated() {
            sequence = p.sequence
            if p.type == .tokens {
                framesIn += p.frameCount
                latentsOut += 1
            } else if p.type == .end {
                ended = true
                if let signal, p.end?.reason == .shutdown {
                    out[i] = endPacket(signal: signal, sequence: p.sequence)
                    rewrote = true
                }
            }
        }
        try write(out.bytes)
    }

    /// Whether the stream's END says `interrupted` (the caller then exits with `exitStatus`).
    var endedByInterrupt: Bool {
        lock.lock()
        defer { lock.unlock() }
        return rewrote
    }

    /// The run is over: the watcher must not end the stream any more.
    func finish() {
        lock.lock()
        finished = true
        lock.unlock()
    }

    private func endPacket(signal: Int32, sequence: UInt64) -> Packet {
        .end(EndInfo(framesIn: framesIn, latentFramesOut: latentsOut, reason: .interrupted,
                     message: "interrupted by \(Self.name(signal))"), sequence: sequence)
    }

    private func watch(_ readFD: Int32) {
        var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
        var b: UInt8 = 0
        // The first signal: the pipeline stops by itself at its next latent frame.
        while poll(&pfd, 1, -1) != 1 || read(readFD, &b, 1) != 1 {}
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            pfd.revents = 0
            if poll(&pfd, 1, 50) == 1, read(readFD, &b, 1) == 1 { break }   // a second signal: now
            lock.lock()
            let done = finished || ended
            lock.unlock()
            if done { return }
        }
        // Still not ended: the pipeline waits for input. End the stream after the last whole packet.
        let signal = interruptSignal
        guard lock.lock(before: Date().addingTimeInterval(1)) else { _exit(Self.exitStatus(signal)) }  // a write hangs
        guard !finished, !ended else {
            lock.unlock()
            return
        }
        ended = true
        if let fd {
            let end = endPacket(signal: signal, sequence: sequence.map { $0 &+ 1 } ?? 0).bytes
            _ = end.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        }
        Terminal.error(fd == nil ? "interrupted by \(Self.name(signal)) before the output was opened"
                       : "interrupted by \(Self.name(signal)): stream ended with END(interrupted) after \(framesIn) frames")
        _exit(Self.exitStatus(signal))
    }
}
