// FFmpeg's log reaches the Swift handler.
import Foundation
import XCTest
@testable import VtokMedia

final class MediaLogTests: XCTestCase {
    final class Lines: @unchecked Sendable {
        let lock = NSLock()
        var items: [(MediaLogLevel, String)] = []
        func add(_ level: MediaLogLevel, _ line: String) { lock.lock(); items.append((level, line)); lock.unlock() }
    }

    func testHandlerReceivesFFmpegMessages() throws {
        let lines = Lines()
        MediaLog.setHandler { lines.add($0, $1) }
        MediaLog.setLevel(.info)
        defer {
            MediaLog.setHandler(nil)
            MediaLog.setLevel(.error)
        }
        XCTAssertEqual(MediaLog.level, .info)
        // Writing a file makes libx264 print its info lines.
        let path = Fixtures.directory.appendingPathComponent("log.mp4").path
        let writer = try MediaWriter(path: path, size: FrameSize(width: 64, height: 48), frameRate: Rational(25, 1))
        try writer.write(pixels: Fixtures.gradient(width: 64, height: 48, phase: 0), width: 64, height: 48, pts: 0)
        try writer.finish()
        XCTAssertFalse(lines.items.isEmpty)
        XCTAssertTrue(lines.items.allSatisfy { $0.0 <= .info && !$0.1.hasSuffix("\n") })
        XCTAssertTrue(lines.items.contains { $0.1.contains("libx264") }, "\(lines.items.prefix(3))")
    }
}
