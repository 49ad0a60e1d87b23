// Ctrl-C (SIGINT) or SIGTERM during `vtok encode ... -o out.vtok` (issue 14): the file still holds a complete
// stream, ending at a whole latent frame with END reason `interrupted`, and the exit status is 130 or 143.
import Foundation
import Glibc
import XCTest
import VtokStream

final class EncodeInterruptTests: CLITestCase {
    /// `vtok encode - -o out.vtok` with a stdin pipe the test writes; returns the process and the pipe.
    private func startEncode(_ out: String) throws -> (Process, FileHandle, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: vtok)
        p.arguments = ["encode", "-", "-o", out, "--model", CLI.tinyModel]
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = FileHandle.nullDevice
        let errPath = path("stderr-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: errPath, contents: nil),
              let err = FileHandle(forWritingAtPath: errPath) else { throw XCTSkip("cannot create \(errPath)") }
        p.standardError = err
        try p.run()
        return (p, input.fileHandleForWriting, errPath)
    }

    /// Waits until `file` holds at least `bytes` bytes.
    private func waitForOutput(_ file: String, bytes: Int, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let a = try? FileManager.default.attributesOfItem(atPath: file), (a[.size] as? Int ?? 0) >= bytes { return true }
            usleep(20_000)
        }
        return false
    }

    private func checkInterrupted(_ out: String, signal: String, stderr: String) throws {
        let s = ParsedStream(try readBytes(out))
        s.assertWellFormed()
        let end = try XCTUnwrap(s.end, "the stream ends with END")
        XCTAssertEqual(end.reason, .interrupted)
        XCTAssertEqual(end.reason.code, 6)
        XCTAssertEqual(end.message, "interrupted by \(signal)")
        XCTAssertEqual(end.framesIn, s.frames.reduce(0) { $0 + $1.pts.count }, "END counts what was written")
        XCTAssertEqual(end.latentFramesOut, s.frames.count)
        XCTAssertGreaterThan(s.frames.count, 0)
        let lines = stderr.split(separator: "\n").filter { $0.hasPrefix("vtok:") }
        XCTAssertEqual(lines.count, 1, stderr)
        XCTAssertTrue(lines.first?.contains("interrupted by \(signal)") ?? false, stderr)
    }

    func testSigintWhileInputKeepsComingEndsAtALatentFrame() throws {
        let clip = try clip("clip.nut", size: "64x48", frames: 600, codec: "ffv1")
        let media = try readBytes(clip)
        let out = path("out.vtok")
        let (p, input, errPath) = try startEncode(out)
        // Feed slowly and keep feeding: the pipeline stops by itself at the next latent frame.
        let stop = Box(false)
        let feeder = Thread {
            var off = 0
            while off < media.count, !stop.value {
                let n = media.withUnsafeBytes { Glibc.write(input.fileDescriptor, $0.baseAddress! + off, min(4096, media.count - off)) }
                if n <= 0 { break }
                off += n
                usleep(20_000)
            }
        }
        feeder.start()
        XCTAssertTrue(waitForOutput(out, bytes: 2000), "tokens are being written")
        kill(p.processIdentifier, SIGINT)
        XCTAssertTrue(waitForExit(p, timeout: 20))
        stop.value = true
        try? input.close()
        XCTAssertEqual(p.terminationReason, .exit, "an exit status, not death by the signal")
        XCTAssertEqual(p.terminationStatus, 130)
        try checkInterrupted(out, signal: "SIGINT", stderr: String(decoding: try readBytes(errPath), as: UTF8.self))
    }

    func testSigtermWhileWaitingForInputStillWritesEnd() throws {
        let clip = try clip("clip.nut", size: "64x48", frames: 200, codec: "ffv1")
        let media = try readBytes(clip)
        let out = path("out.vtok")
        let (p, input, errPath) = try startEncode(out)
        // Half the clip, then silence with the pipe still open: the pipeline waits inside FFmpeg's read.
        _ = media.withUnsafeBytes { Glibc.write(input.fileDescriptor, $0.baseAddress!, media.count / 2) }
        XCTAssertTrue(waitForOutput(out, bytes: 2000), "tokens are being written")
        usleep(300_000)
        let signalled = Date()
        kill(p.processIdentifier, SIGTERM)
        XCTAssertTrue(waitForExit(p, timeout: 20))
        XCTAssertLessThan(Date().timeIntervalSince(signalled), 6, "ends within the grace time")
        try? input.close()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 143)
        try checkInterrupted(out, signal: "SIGTERM", stderr: String(decoding: try readBytes(errPath), as: UTF8.self))
    }
}

private final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
