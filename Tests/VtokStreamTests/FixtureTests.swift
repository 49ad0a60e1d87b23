import Foundation
import XCTest
@testable import VtokStream

/// The reference streams in python/tests/data (docs/token-stream.md §9) must be exactly what the writer
/// produces now. `VTOK_WRITE_FIXTURES=1` rewrites them.
final class FixtureTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("python/tests/data")

    func testReferenceStreamsAreUpToDate() throws {
        let streams: [(String, [UInt8])] = [
            ("basic.vtok", try Reference.basic()),
            ("latents.vtok", try Reference.latentsStream()),
            ("segments.vtok", try Reference.segmentsStream()),
            ("damaged.vtok", try Reference.damaged()),
        ]
        let write = ProcessInfo.processInfo.environment["VTOK_WRITE_FIXTURES"] == "1"
        for (name, bytes) in streams {
            let url = Self.directory.appendingPathComponent(name)
            if write {
                try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
                try Data(bytes).write(to: url)
                continue
            }
            guard let stored = FileManager.default.contents(atPath: url.path) else {
                return XCTFail("\(url.path) is missing: run VTOK_WRITE_FIXTURES=1 swift test --filter FixtureTests")
            }
            XCTAssertEqual([UInt8](stored), bytes,
                           "\(name) differs from the writer's output: if the format changed on purpose, rerun with VTOK_WRITE_FIXTURES=1")
        }
    }
}
