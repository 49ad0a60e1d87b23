// Test clips made at test time with the ffmpeg CLI (VtokTestSupport's TestClips), in one temp dir per test
// process, each made once.
import Foundation
import XCTest
import VtokTestSupport
@testable import VtokMedia

enum Fixtures {
    static let ffmpeg = TestClips.ffmpeg

    /// A fresh temp dir, or $VTOK_MEDIA_FIXTURES (kept between runs, so tools like valgrind that cannot
    /// spawn ffmpeg can reuse the clips).
    static let directory: URL = {
        let dir = ProcessInfo.processInfo.environment["VTOK_MEDIA_FIXTURES"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("vtok-media-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["VTOK_MEDIA_FIXTURES"] == nil {
            XCTestObservationCenter.shared.addTestObserver(Cleanup(directory: dir))
        }
        return dir
    }()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String: String] = [:]

    /// Path of `name` in the fixture dir, created once with `ffmpeg -y <args> <path>`.
    static func clip(_ name: String, _ args: [String]) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = made[name] { return path }
        let path = directory.appendingPathComponent(name).path
        if ProcessInfo.processInfo.environment["VTOK_MEDIA_FIXTURES"] != nil && FileManager.default.fileExists(atPath: path) {
            made[name] = path
            return path
        }
        try TestClips.make(path, args)
        made[name] = path
        return path
    }

    /// testsrc2 video of `seconds` at `size` and `rate`, encoded by `codec`.
    static func testsrc(_ name: String, size: String = "64x48", rate: Int = 25, seconds: Double = 1,
                        extra: [String] = []) throws -> String {
        try clip(name, TestClips.testsrc(size: size, rate: String(rate), seconds: seconds) + extra)
    }

    static var mp4: String { get throws { try testsrc("clip.mp4", extra: ["-c:v", "libx264", "-preset", "ultrafast"]) } }
    static var mkv: String { get throws { try testsrc("clip.mkv", size: "320x240", extra: ["-c:v", "libx264", "-preset", "ultrafast"]) } }
    static var nut: String { get throws { try testsrc("clip.nut", extra: ["-c:v", "mpeg4", "-q:v", "2"]) } }

    /// Writes `data` to a fresh file in the fixture dir.
    static func file(_ name: String, _ data: Data) throws -> String {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    /// Reads every frame (size changes are rethrown).
    static func readAll(_ reader: MediaReader) throws -> [VideoFrame] {
        var frames: [VideoFrame] = []
        while let frame = try reader.nextFrame() { frames.append(frame) }
        return frames
    }

    /// A smooth moving RGB gradient: (h, w, 3), compresses well, so PSNR after encoding is high.
    static func gradient(width: Int, height: Int, phase: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8((x * 255 / max(1, width - 1) + phase * 4) % 256 / 2 + 64)
                pixels[i + 1] = UInt8(y * 255 / max(1, height - 1) / 2 + 64)
                pixels[i + 2] = UInt8(128 + phase % 32)
            }
        }
        return pixels
    }

    static func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count)
        var sum = 0.0
        for i in 0..<a.count {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        let mse = sum / Double(a.count)
        return mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    }
}

/// Removes the fixture dir when the test bundle finishes.
final class Cleanup: NSObject, XCTestObservation {
    let directory: URL
    init(directory: URL) { self.directory = directory }
    func testBundleDidFinish(_ testBundle: Bundle) { try? FileManager.default.removeItem(at: directory) }
}
