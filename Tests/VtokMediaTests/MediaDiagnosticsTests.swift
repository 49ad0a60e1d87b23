// Damage that only FFmpeg's log reveals is kept by the reader that met it (MediaDiagnostics.ffmpegErrors), not by
// the process: two readers at once each get their own lines, with or without a log handler installed.
import Foundation
import XCTest
@testable import VtokMedia

final class MediaDiagnosticsTests: XCTestCase {
    /// A matroska file of an intra-only codec with 400 bytes flipped in the middle: the demuxer drops frames and
    /// says so only in its log ("Element ... exceeds containing master element" and the like).
    private func damagedMKV() throws -> String {
        let whole = try Fixtures.testsrc("ffv1-whole.mkv", seconds: 1.2, extra: ["-c:v", "ffv1"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: whole)))
        let at = bytes.count / 2
        for i in at..<(at + 400) { bytes[i] ^= 0x5A }
        return try Fixtures.file("ffv1-damaged.mkv", Data(bytes))
    }

    private static func readToEnd(_ path: String) throws -> (frames: Int, diagnostics: MediaDiagnostics) {
        var options = MediaReaderOptions(size: .source)
        options.live = false
        let reader = try MediaReader(path: path, options: options)
        var frames = 0
        while try reader.nextFrame() != nil { frames += 1 }
        return (frames, reader.diagnostics)
    }

    func testTheReaderKeepsWhatOnlyFFmpegsLogSaid() throws {
        MediaLog.setHandler { _, _ in }                 // as the CLI does; the daemon routes them to its journal
        defer { MediaLog.setHandler(nil) }
        let (frames, d) = try Self.readToEnd(try damagedMKV())
        XCTAssertLessThan(frames, 30)
        XCTAssertFalse(d.ffmpegErrors.isEmpty, "\(d)")
        XCTAssertGreaterThanOrEqual(d.ffmpegErrorCount, d.ffmpegErrors.count)
        XCTAssertFalse(d.ffmpegErrors.contains { $0.hasPrefix("[") }, "the [name @ 0x...] prefix is dropped: \(d.ffmpegErrors)")
        XCTAssertTrue(d.damageSummary?.contains("FFmpeg: \(d.ffmpegErrors[0])") ?? false, "\(d)")
    }

    /// Without any handler (FFmpeg prints to stderr itself) the lines are still collected.
    func testCollectedWithoutAHandler() throws {
        MediaLog.setHandler(nil)
        let (_, d) = try Self.readToEnd(try damagedMKV())
        XCTAssertFalse(d.ffmpegErrors.isEmpty, "\(d)")
    }

    /// A damaged and an intact input read at the same time on two threads: only the damaged one's reader has lines.
    func testLinesBelongToTheirReader() throws {
        let damaged = try damagedMKV()
        let intact = try Fixtures.testsrc("ffv1-intact.mkv", seconds: 2, extra: ["-c:v", "ffv1"])
        MediaLog.setHandler { _, _ in }
        defer { MediaLog.setHandler(nil) }
        let results = Counts()
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            let path = i % 2 == 0 ? damaged : intact
            results.set(i, (try? MediaDiagnosticsTests.readToEnd(path))?.diagnostics.ffmpegErrors.count ?? -1)
        }
        for i in 0..<6 {
            let count = results.get(i) ?? -1
            if i % 2 == 0 { XCTAssertGreaterThan(count, 0, "damaged reader \(i)") } else { XCTAssertEqual(count, 0, "intact reader \(i)") }
        }
    }

    func testDamageInWords() {
        var d = MediaDiagnostics()
        XCTAssertNil(d.damageSummary)
        d.repairedTimestamps = 3
        d.timestampGaps = 1
        XCTAssertNil(d.damageSummary, "timestamp repairs are not damage")
        d.skippedPackets = 2
        d.corruptFrames = 1
        d.ffmpegErrors = ["File ended prematurely at pos. 1234 (0x4d2)"]
        d.ffmpegSaysTruncated = MediaDiagnostics.saysTruncated(d.ffmpegErrors[0])
        XCTAssertEqual(d.damageSummary, "2 packet(s) skipped, 1 corrupt frame(s) concealed, truncated, "
                       + "FFmpeg: File ended prematurely at pos. 1234 (0x4d2)")
        XCTAssertTrue(MediaDiagnostics.saysTruncated("stream 0, offset 0x30: partial file"))
        XCTAssertFalse(MediaDiagnostics.saysTruncated("Invalid NAL unit size"))
    }

    /// Frames carry their time base: the stream's, or 1/rate when resampling; the size change is an event.
    func testFramesCarryTheirTiming() throws {
        let path = try Fixtures.nut
        let plain = try MediaReader(path: path)
        let first = try XCTUnwrap(try plain.nextFrame())
        XCTAssertEqual(first.timeBase, plain.info.timeBase)
        XCTAssertTrue(first.timeBase.isValid)
        let resampled = try MediaReader(path: path, options: MediaReaderOptions(size: .shortSide(256), frameRate: Rational(10, 1)))
        var pts: [Int64] = []
        while let event = try resampled.next() {
            guard case .frame(let f) = event else { return XCTFail("no size change in \(path)") }
            XCTAssertEqual(f.timeBase, Rational(1, 10))
            pts.append(f.pts)
        }
        XCTAssertEqual(pts, Array(0..<Int64(pts.count)))
        XCTAssertTrue((10...11).contains(pts.count), "\(pts.count) frames at 10 fps from 1 s")
    }
}

/// Line counts by reader, filled from several threads.
private final class Counts: @unchecked Sendable {   // guarded by lock
    private let lock = NSLock()
    private var values: [Int: Int] = [:]
    func set(_ key: Int, _ value: Int) { lock.lock(); values[key] = value; lock.unlock() }
    func get(_ key: Int) -> Int? { lock.lock(); defer { lock.unlock() }; return values[key] }
}
