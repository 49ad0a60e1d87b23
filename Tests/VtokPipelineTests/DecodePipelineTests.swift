import XCTest
import VtokEngine
import VtokMedia
import VtokStream
@testable import VtokPipeline

final class DecodePipelineTests: XCTestCase {
    /// Decodes `bytes` into `out`, handing the pipeline as much as each read asks for.
    func decode(_ bytes: [UInt8], model: VtokModel, to out: String) throws -> DecodeSummary {
        var offset = 0
        return DecodePipeline(model: model, output: .path(out)).run(read: { buf in
            let n = min(buf.count, bytes.count - offset)
            for i in 0..<n { buf[i] = bytes[offset + i] }
            offset += n
            return n
        })
    }

    func roundTrip(_ clip: String, to ext: String, frames expected: Int) throws -> (DecodeSummary, String) {
        var options = EncodeOptions(model: try PipelineFixtures.tinyModel())
        options.media.size = .exact(FrameSize(width: 48, height: 32))
        let enc = try EncodePipeline(input: .path(clip), options: options)
        var bytes: [UInt8] = []
        _ = enc.run(emit: { bytes += $0 })
        let out = PipelineFixtures.directory.appendingPathComponent("rt-\(UUID().uuidString).\(ext)").path
        let dec = DecodePipeline(model: try PipelineFixtures.tinyModel(), output: .path(out))
        var offset = 0
        let summary = dec.run(read: { buf in
            let n = min(buf.count, bytes.count - offset, 1000)        // small reads: packets split across reads
            for i in 0..<n { buf[i] = bytes[offset + i] }
            offset += n
            return n
        })
        XCTAssertEqual(summary.framesOut, expected)
        return (summary, out)
    }

    func testFrameCountAndTimestampsSurviveEncodeThenDecode() throws {
        for (n, ext) in [(11, "mkv"), (9, "nut"), (1, "mkv"), (14, "mp4")] {
            let clip = try PipelineFixtures.testsrc("rt\(n).mkv", size: "64x48", rate: "25", frames: n, extra: ["-c:v", "ffv1"])
            let (summary, out) = try roundTrip(clip, to: ext, frames: n)
            XCTAssertTrue(summary.isClean, "\(summary)")
            let source = try PipelineFixtures.probeTimes(clip)
            let decoded = try PipelineFixtures.probeTimes(out)
            XCTAssertEqual(source.count, n)
            XCTAssertEqual(decoded.count, n, ext)
            // Timestamps are the source's, up to the container's time base (mkv: 1 ms).
            for (a, b) in zip(source, decoded) { XCTAssertEqual(a, b, accuracy: 1e-3, ext) }
        }
    }

    func testVariableFrameRatePTSKept() throws {
        // Frames at irregular times: setpts makes pts 0,1,3,4,7,... in a 1/25 time base.
        let clip = try PipelineFixtures.make("vfr.mkv", ["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-frames:v", "9",
                                                         "-vf", "setpts='N+floor(N/2)'/25/TB", "-fps_mode", "passthrough",
                                                         "-c:v", "ffv1"])
        let (_, out) = try roundTrip(clip, to: "mkv", frames: 9)
        let source = try PipelineFixtures.probeTimes(clip)
        XCTAssertEqual(source.count, 9)
        XCTAssertNotEqual(source[2] - source[1], source[1] - source[0], accuracy: 1e-3)   // really irregular
        let decoded = try PipelineFixtures.probeTimes(out)
        XCTAssertEqual(decoded.count, 9)
        for (a, b) in zip(source, decoded) { XCTAssertEqual(a, b, accuracy: 1e-3) }
    }

    func testTruncatedStreamDecodesWhatArrived() throws {
        let clip = try PipelineFixtures.testsrc("tr.nut", size: "64x48", frames: 13, extra: ["-c:v", "ffv1"])
        var options = EncodeOptions(model: try PipelineFixtures.tinyModel())
        options.media.size = .exact(FrameSize(width: 48, height: 32))
        var bytes: [UInt8] = []
        _ = try EncodePipeline(input: .path(clip), options: options).run(emit: { bytes += $0 })
        let cut = Array(bytes.prefix(bytes.count * 2 / 3))
        let out = PipelineFixtures.directory.appendingPathComponent("tr.mkv").path
        let summary = try decode(cut, model: try PipelineFixtures.tinyModel(), to: out)
        XCTAssertTrue(summary.truncated)
        XCTAssertNil(summary.failure)
        XCTAssertGreaterThan(summary.framesOut, 0)
        XCTAssertEqual(try PipelineFixtures.probeTimes(out).count, summary.framesOut)   // the file is complete
    }

    private func singleLatentStream(weights: [UInt8], encoder: [UInt8]?, levels: [Int]) throws -> [UInt8] {
        let header = StreamHeader(modelName: "other", weightsSHA256: weights, encoderSHA256: encoder,
                                  levels: levels, temporalFactor: 4, spatialFactor: 8,
                                  latentHeight: 4, latentWidth: 6, sourceSize: .init(width: 48, height: 32),
                                  frameRate: .init(25, 1), timeBase: .init(1, 25), streamID: StreamHeader.randomStreamID())
        var w = try StreamWriter(header: header)
        return try w.tokensPacket(pts: [0], tokens: [UInt16](repeating: 5, count: 24)) + w.endPacket(reason: .endOfInput)
    }

    func testModelMismatchIsRefused() throws {
        let model = try PipelineFixtures.tinyModel()
        let out = PipelineFixtures.directory.appendingPathComponent("mm.mkv").path
        // Another weights file (1.0-style identity) and another encoder (1.1 identity) are both refused.
        for (weights, encoder) in [([UInt8](repeating: 9, count: 32), nil),
                                   (model.sha256, [UInt8](repeating: 9, count: 32))] as [([UInt8], [UInt8]?)] {
            let summary = try decode(try singleLatentStream(weights: weights, encoder: encoder, levels: model.config.fsqLevels),
                                     model: model, to: out)
            guard case .modelMismatch = summary.failure else { return XCTFail("\(String(describing: summary.failure))") }
            XCTAssertEqual(summary.framesOut, 0)
        }
    }

    /// A writer that does not know the model (e.g. a language model's generated tokens) writes all-zero
    /// identities (docs/token-stream.md §4.1): decoded with whatever model is given, if the levels fit.
    func testUnknownModelIsAccepted() throws {
        let model = try PipelineFixtures.tinyModel()
        let out = PipelineFixtures.directory.appendingPathComponent("unknown.mkv").path
        let zero = [UInt8](repeating: 0, count: 32)
        let summary = try decode(try singleLatentStream(weights: zero, encoder: zero, levels: model.config.fsqLevels),
                                 model: model, to: out)
        XCTAssertNil(summary.failure)
        XCTAssertEqual(summary.framesOut, 1)
        let wrongLevels = try decode(try singleLatentStream(weights: zero, encoder: nil, levels: [4, 4]), model: model, to: out)
        guard case .modelMismatch = wrongLevels.failure else { return XCTFail("\(String(describing: wrongLevels.failure))") }
    }

    /// The stream names its encoder (1.1): a model with the same encoder identity decodes it.
    func testSameEncoderIdentityIsAccepted() throws {
        let model = try PipelineFixtures.tinyModel()
        let out = PipelineFixtures.directory.appendingPathComponent("same-encoder.mkv").path
        let summary = try decode(try singleLatentStream(weights: [UInt8](repeating: 9, count: 32), encoder: model.encoderSHA256,
                                                        levels: model.config.fsqLevels), model: model, to: out)
        XCTAssertNil(summary.failure)
        XCTAssertEqual(summary.framesOut, 1)
    }

    func testCorruptPacketIsSkippedAndCounted() throws {
        let clip = try PipelineFixtures.testsrc("cp.nut", size: "64x48", frames: 13, extra: ["-c:v", "ffv1"])
        var options = EncodeOptions(model: try PipelineFixtures.tinyModel())
        options.media.size = .exact(FrameSize(width: 48, height: 32))
        var packets: [[UInt8]] = []
        _ = try EncodePipeline(input: .path(clip), options: options).run(emit: { packets.append($0) })
        // packets: HEADER, TOKENS x4, END. Damage the third TOKENS packet's payload.
        packets[3][packets[3].count / 2] ^= 0x55
        let bytes = packets.flatMap { $0 }
        let out = PipelineFixtures.directory.appendingPathComponent("cp.mkv").path
        let summary = try decode(bytes, model: try PipelineFixtures.tinyModel(), to: out)
        XCTAssertGreaterThan(summary.corruptBytes, 0)
        XCTAssertNil(summary.failure)
        XCTAssertNotNil(summary.end)
        XCTAssertEqual(summary.framesOut, 13 - 4)
    }
}
