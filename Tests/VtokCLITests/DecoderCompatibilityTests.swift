// Which decoders read which streams (docs/token-stream.md §4.1, docs/model.md "Encoder identity"): a new decoder
// with the same encoder reads the old file's streams, version 1.0 (the shipped sample) and 1.1 alike; a decoder
// with another encoder refuses them with one line.
import Foundation
import XCTest

final class DecoderCompatibilityTests: CLITestCase {
    private var tinyD2: String { CLI.root.appendingPathComponent("Tests/VtokEngineTests/Fixtures/tiny-model-d2.safetensors").path }

    func testSameEncoderDecodesEitherWay() throws {
        let clip = try ffmpeg("c.nut", ["-f", "lavfi", "-i", "testsrc2=size=48x32:rate=25", "-frames:v", "9", "-c:v", "ffv1"])
        let v1 = try vtok(["encode", clip, "--model", CLI.tinyModel])
        assertSuccess(v1)
        let info = try vtok(["info", try write(v1.stdout, to: "v1.vtok")])
        XCTAssertTrue(info.stdoutText.contains("encoder "), info.stdoutText)
        let d = try vtok(["decode", path("v1.vtok"), "--model", tinyD2, "-o", path("by-d2.mkv")])
        assertSuccess(d)
        XCTAssertEqual(try probeTimes(path("by-d2.mkv")).count, 9)
        // And the other way: the d2 file encodes with the same encoder, so the first file decodes its streams.
        let v2 = try vtok(["encode", clip, "--model", tinyD2])
        assertSuccess(v2)
        XCTAssertEqual(ParsedStream(v2.stdout).frames.map(\.tokens), ParsedStream(v1.stdout).frames.map(\.tokens))
        assertSuccess(try vtok(["decode", try write(v2.stdout, to: "v2.vtok"), "--model", CLI.tinyModel, "-o", path("by-v1.mkv")]))
    }

    func testVersion10SampleDecodesOnlyWithItsEncoder() throws {
        let sample = CLI.root.appendingPathComponent("samples/sample.vtok").path
        assertSuccess(try vtok(["decode", sample, "--model", CLI.releasedModel, "-o", path("s.mkv")]))
        let r = try vtok(["decode", sample, "--model", tinyD2, "-o", path("s2.mkv")])
        assertReported(r, status: 1, mentions: "model")
    }

    /// The real second-generation decoder (the kept training run, config version 2 with `d2t`) reads the shipped
    /// version-1.0 stream, written long before it, frame for frame, and what it makes looks like the clip.
    func testTheKeptSecondGenerationDecoderReadsTheShippedSample() throws {
        let sample = CLI.root.appendingPathComponent("samples/sample.vtok").path
        let d = try vtok(["decode", sample, "--model", CLI.keptDecoderV2, "-o", path("d2.mkv")])
        assertSuccess(d)
        let r = try vtok(["compare", CLI.root.appendingPathComponent("samples/sample.mp4").path, path("d2.mkv"), "--json"])
        assertSuccess(r)
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], r.stdoutText)
        XCTAssertEqual((o["per_frame"] as? [Any])?.count, 97)
        let mean = try XCTUnwrap(o["mean"] as? [String: Any])
        XCTAssertGreaterThan(mean["psnr_db"] as? Double ?? 0, 28, "random weights give about 10 dB")
        XCTAssertGreaterThan(mean["ssim"] as? Double ?? 0, 0.8)
    }
}
