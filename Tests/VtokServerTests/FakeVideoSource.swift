// A deterministic stand-in for the media -> engine pipeline: a toy "video format" whose token stream is a
// pure function of the input bytes, written with the real StreamWriter. Lets the daemon's tests run fast.
import Foundation
import Glibc
import VtokServer
import VtokStream

/// Input format: the 8 bytes "FAKEVID1", then one frame per 64 bytes. Anything else is rejected when the
/// source opens (like FFmpeg probing a garbage stream). Live locations: "fake-live:FRAMES:MS[:GRID]".
struct FakeSourceFactory: TokenSourceFactory {
    static let magic = Array("FAKEVID1".utf8)
    static let frameBytes = 64
    /// Seconds to wait per frame (simulates the engine's work, so shutdown lands mid-stream).
    var frameDelay: Double = 0
    /// The media limit of a session's frames (the real factory's is in its EncodeOptions); nil: none.
    var maxFrames: Int?

    struct NotMedia: Error, CustomStringConvertible { var description = "not a FAKEVID1 stream" }

    func makeSource(input: SourceInput) throws -> any TokenSource {
        switch input {
        case .fileDescriptor(let fd):
            var magic = [UInt8](repeating: 0, count: 8)
            guard FakeSource.readFully(fd, &magic), magic == Self.magic else { throw NotMedia() }
            return FakeSource(input: .descriptor(fd), grid: (2, 3), frameDelay: frameDelay, maxFrames: maxFrames)
        case .location(let location):
            let parts = location.split(separator: ":").map(String.init)
            guard parts.count >= 3, parts[0] == "fake-live", let frames = Int(parts[1]), let ms = Double(parts[2]) else {
                throw NotMedia(description: "unknown live source \(location)")
            }
            let side = parts.count > 3 ? Int(parts[3]) ?? 8 : 8
            return FakeSource(input: .generated(frames), grid: (side, side), frameDelay: ms / 1000, maxFrames: nil)
        }
    }
}

final class FakeSource: TokenSource {
    enum Input { case descriptor(Int32), generated(Int) }
    let input: Input
    let grid: (h: Int, w: Int)
    let frameDelay: Double
    let maxFrames: Int?

    init(input: Input, grid: (Int, Int), frameDelay: Double, maxFrames: Int?) {
        self.input = input
        self.grid = grid
        self.frameDelay = frameDelay
        self.maxFrames = maxFrames
    }

    static func header(grid: (h: Int, w: Int)) -> StreamHeader {
        StreamHeader(modelName: "fake", weightsSHA256: Array(0..<32), levels: [8, 8, 8, 5, 5, 5], temporalFactor: 4,
                     spatialFactor: 8, latentHeight: grid.h, latentWidth: grid.w,
                     sourceSize: .init(width: grid.w * 8, height: grid.h * 8), frameRate: .init(25, 1),
                     timeBase: .init(1, 25), streamID: Array(repeating: 0xAB, count: 16))
    }

    static func readFully(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var off = 0
        while off < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// Frame `i`'s 64 bytes: read from the input, or generated.
    private func nextFrame(_ i: Int) -> [UInt8]? {
        switch input {
        case .descriptor(let fd):
            var frame = [UInt8](repeating: 0, count: FakeSourceFactory.frameBytes)
            return FakeSource.readFully(fd, &frame) ? frame : nil
        case .generated(let count):
            return i < count ? (0..<FakeSourceFactory.frameBytes).map { UInt8(truncatingIfNeeded: $0 * 7 + i) } : nil
        }
    }

    func run(emit: ([Packet]) throws -> Void, shouldStop: @escaping @Sendable () -> Bool) -> SourceOutcome {
        guard var writer = try? StreamWriter(header: Self.header(grid: grid), headerRepeatInterval: 4) else {
            return SourceOutcome(reason: .encoderError)
        }
        var pending: [(pts: Int64, sum: Int)] = []
        var i = 0
        var reason = EndReason.endOfInput
        var message = ""
        func flush(_ w: inout StreamWriter) throws {
            guard !pending.isEmpty else { return }
            let seed = pending.reduce(0) { $0 &* 31 &+ $1.sum }
            let tokens = (0..<(grid.h * grid.w)).map { UInt16((seed &+ $0 &* 97) & 0x7FFF % 64000) }
            try emit(try w.tokensPackets(pts: pending.map(\.pts), tokens: tokens))
            pending.removeAll()
        }
        do {
            try emit(writer.beginPackets())
            while true {
                // Stop between latent frames only, as the real pipeline does.
                if pending.isEmpty && shouldStop() { reason = .shutdown; message = "stopped"; break }
                if let maxFrames, i >= maxFrames { reason = .limitExceeded; message = "frame limit"; break }
                guard let frame = nextFrame(i) else { break }
                if frameDelay > 0 { usleep(UInt32(frameDelay * 1_000_000)) }
                pending.append((Int64(i), frame.reduce(0) { $0 &* 3 &+ Int($1) }))
                i += 1
                if i == 1 || pending.count == 4 { try flush(&writer) }
            }
            try flush(&writer)
            try emit(writer.endPackets(reason: reason, message: message))
        } catch {
            return SourceOutcome(reason: .inputError, message: "output: \(error)")
        }
        return SourceOutcome(reason: reason, message: message)
    }
}

/// The token stream the fake source makes for `media`, without any daemon: the reference for comparisons.
func referenceStream(for media: [UInt8]) throws -> [UInt8] {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw NSError(domain: "pipe", code: Int(errno)) }
    let (readEnd, writeEnd) = (fds[0], fds[1])
    let writer = Thread {
        media.withUnsafeBytes { _ = write(writeEnd, $0.baseAddress, $0.count) }
        close(writeEnd)
    }
    writer.start()
    let source = try FakeSourceFactory().makeSource(input: .fileDescriptor(readEnd))
    var out = [UInt8]()
    _ = source.run(emit: { out += $0.bytes }, shouldStop: { false })
    close(readEnd)
    return out
}

/// Media in the fake format: the magic and `frames` frames of bytes derived from `seed`.
func fakeMedia(frames: Int, seed: Int = 1) -> [UInt8] {
    FakeSourceFactory.magic + (0..<(frames * FakeSourceFactory.frameBytes)).map { UInt8(truncatingIfNeeded: $0 * seed + $0 / 64) }
}
