// Where things are for the CLI tests: the binary under test, the models, the ffmpeg tools.
import Foundation
import XCTest
import VtokTestSupport

/// Where things are: the package root, the binary under test, the tiny model.
enum CLI {
    static let root = TestPaths.root
    /// Random weights in the release format (training/fixtures.py): any frame size that is a multiple of 8.
    static let tinyModel = TestPaths.tinyModel
    static let releasedModel = TestPaths.releasedModel
    static let keptDecoderV2 = TestPaths.keptDecoderV2
    static let ffmpeg = TestClips.ffmpeg
    static let ffprobe = TestClips.ffprobe

    /// $VTOK_BINARY, else the release build, else the debug build; skips the test when there is none
    /// (scripts/test.sh builds the release binary first and sets VTOK_BINARY).
    static func binary() throws -> String {
        var candidates = [root.appendingPathComponent(".build/release/vtok").path,
                          root.appendingPathComponent(".build/debug/vtok").path]
        if let env = ProcessInfo.processInfo.environment["VTOK_BINARY"], !env.isEmpty { candidates.insert(env, at: 0) }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no vtok binary (looked in \(candidates.joined(separator: ", "))): build it or set VTOK_BINARY")
        }
        guard TestClips.available else { throw XCTSkip("ffmpeg and ffprobe are needed to make and check clips") }
        return found
    }
}
