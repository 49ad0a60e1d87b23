// The automatic live rule and one-line error descriptions.
import Foundation
import XCTest
@testable import VtokMedia

final class LiveRuleTests: XCTestCase {
    func testRule() {
        XCTAssertTrue(LiveRule.isLive(url: "rtsp://camera.local/stream", fileDescriptor: nil, format: nil))
        XCTAssertTrue(LiveRule.isLive(url: "udp://239.0.0.1:1234", fileDescriptor: nil, format: nil))
        XCTAssertTrue(LiveRule.isLive(url: "/dev/null", fileDescriptor: nil, format: nil))   // a character device
        XCTAssertTrue(LiveRule.isLive(url: "whatever", fileDescriptor: nil, format: "video4linux2"))
        XCTAssertFalse(LiveRule.isLive(url: "https://example.com/clip.mp4", fileDescriptor: nil, format: nil))
        XCTAssertFalse(LiveRule.isLive(url: "/tmp/clip.mp4", fileDescriptor: nil, format: nil))
        XCTAssertFalse(LiveRule.isLive(url: "clip.nut", fileDescriptor: nil, format: "nut"))
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        XCTAssertTrue(LiveRule.isLive(url: "", fileDescriptor: fds[0], format: nil))
        XCTAssertTrue(LiveRule.isLive(url: "pipe:\(fds[0])", fileDescriptor: nil, format: nil))
        // A regular file behind a descriptor (like `vtok encode - < clip.mp4`) is not live.
        let file = open("/proc/self/exe", O_RDONLY)
        defer { close(file) }
        XCTAssertFalse(LiveRule.isLive(url: "pipe:\(file)", fileDescriptor: nil, format: nil))
    }

    func testErrorDescriptionsAreOneLine() {
        let errors: [MediaError] = [
            .cannotOpen(url: "x", FFmpegError(function: "avformat_open_input", code: -2)),
            .noVideoStream(url: "a.wav"), .decoderMissing(codec: "foo"), .noFrames(url: "x"),
            .tooManyPixels(size: FrameSize(width: 9000, height: 9000), limit: 10),
        ]
        for error in errors { XCTAssertFalse(error.description.contains("\n")) }
        // A size change is an event now, not an error; its description is one line all the same.
        XCTAssertFalse(FrameSizeChange(old: FrameSize(width: 1, height: 2), new: FrameSize(width: 3, height: 4))
            .description.contains("\n"))
        XCTAssertEqual(FFmpegError(function: "avformat_open_input", code: -2).description,
                       "avformat_open_input failed: No such file or directory (-2)")
    }
}
