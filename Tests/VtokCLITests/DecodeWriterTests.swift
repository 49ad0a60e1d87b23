// `vtok decode` writes on a thread of its own (FrameWriteBehind): a write that fails there is still one `vtok:`
// line and exit status 2, never a hang or a crash: a full disk, a reader that went away, a second picture.
import Foundation
import XCTest
import VtokTestSupport

final class DecodeWriterTests: CLITestCase {
    private func stream(_ name: String, frames: Int) throws -> String {
        let clip = try clip("\(name).mkv", frames: frames, codec: "ffv1")
        assertSuccess(try encode(clip, ["-o", path("\(name).vtok")]))
        return path("\(name).vtok")
    }

    func testFullDiskIsExitStatus2() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        let s = try stream("full", frames: 13)
        let r = try vtok(["decode", s, "-o", "/dev/full", "-f", "nut", "--codec", "rawvideo", "--size", "640x480",
                          "--model", CLI.tinyModel])
        assertReported(r, status: 2, mentions: "no space left on device")
    }

    /// Raw 640x480 frames: far more than a pipe buffers, so vtok is still writing when `head` has gone.
    func testReaderThatWentAwayIsExitStatus2() throws {
        let s = try stream("gone", frames: 21)
        let (dec, head) = try pipeline(
            (vtok, ["decode", s, "-o", "-", "--codec", "rawvideo", "--size", "640x480", "--model", CLI.tinyModel]),
            ("/usr/bin/head", ["-c", "100"]))
        XCTAssertEqual(head.stdout.count, 100)
        assertReported(dec, status: 2, mentions: "broken pipe")
    }
}
