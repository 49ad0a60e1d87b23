// The run summary carries what the reader found damaged, FFmpeg's own words included: `vtok encode` and the daemon
// both report `EncodeSummary.inputDamage`.
import Foundation
import XCTest
import VtokMedia
@testable import VtokPipeline

final class EncodeDamageTests: XCTestCase {
    func testSummaryCarriesDamageOnlyFFmpegSaw() throws {
        let whole = try PipelineFixtures.testsrc("d.mkv", size: "48x32", frames: 30, extra: ["-c:v", "ffv1"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: whole)))
        let at = bytes.count / 2
        for i in at..<(at + 400) { bytes[i] ^= 0x5A }
        let damaged = PipelineFixtures.directory.appendingPathComponent("d-damaged.mkv")
        try Data(bytes).write(to: damaged)
        for path in [whole, damaged.path] {
            var options = EncodeOptions(model: try PipelineFixtures.tinyModel())
            options.media.size = .exact(FrameSize(width: 48, height: 32))
            let summary = try EncodePipeline(input: .path(path), options: options).run(emit: { _ in })
            XCTAssertNil(summary.failure)
            XCTAssertEqual(summary.reason, .endOfInput)
            if path == whole {
                XCTAssertNil(summary.inputDamage)
                XCTAssertEqual(summary.framesIn, 30)
            } else {
                let d = summary.mediaDiagnostics
                XCTAssertLessThan(summary.framesIn, 30)
                XCTAssertFalse(d.ffmpegErrors.isEmpty, "\(d)")
                XCTAssertTrue(summary.inputDamage?.contains("FFmpeg: ") ?? false, "\(summary.inputDamage ?? "nil")")
            }
        }
    }
}
