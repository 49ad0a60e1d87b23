// Replays Tests/Fixtures/fuzz/media/ (hand-made reproductions and any crash scripts/fuzz.sh found) through the
// media reader as the libFuzzer target does (Fuzz/MediaFuzz.swift): first byte 0 = y4m, 1 = NUT, then the file.
import Foundation
import XCTest
import VtokTestSupport
@testable import VtokMedia

final class MediaFuzzRegressionTests: XCTestCase {
    static let folder = TestPaths.fuzzFixtures("media")

    func testEveryFixtureGivesFramesOrAMediaError() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).sorted()
        XCTAssertGreaterThanOrEqual(files.count, 3)
        let scratch = NSTemporaryDirectory() + "vtok-media-regression-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for name in files {
            let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name)))
            guard let control = bytes.first else { continue }
            try Data(bytes.dropFirst()).write(to: URL(fileURLWithPath: scratch))
            var options = MediaReaderOptions()
            options.format = control & 1 == 0 ? "yuv4mpegpipe" : "nut"
            options.maxPixels = 1 << 20
            options.live = false
            let reader: MediaReader
            do { reader = try MediaReader(path: scratch, options: options) } catch {
                XCTAssertNotNil(error as? MediaError, "\(name): \(error)")
                continue
            }
            for _ in 0..<64 {
                do {
                    guard let event = try reader.next() else { break }
                    guard case .frame(let f) = event else { continue }   // a size change: read on
                    XCTAssertEqual(f.pixels.count, f.width * f.height * 3, name)
                } catch {
                    XCTAssertNotNil(error as? MediaError, "\(name): \(error)")
                    break
                }
            }
        }
    }

    /// A 100000x100000 y4m said 'Device or resource busy (-16)'; now the demuxer's own reason.
    func testHugeY4MSaysWhy() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("huge.y4m")))
        let scratch = NSTemporaryDirectory() + "vtok-huge-\(getpid()).y4m"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try Data(bytes.dropFirst()).write(to: URL(fileURLWithPath: scratch))
        MediaLog.setHandler { _, _ in }                     // as the CLI does: FFmpeg's lines go through vtok
        defer { MediaLog.setHandler(nil) }
        XCTAssertThrowsError(try MediaReader(path: scratch)) { error in
            XCTAssertTrue("\(error)".contains("Picture size 100000x100000 is invalid"), "\(error)")
        }
    }
}
