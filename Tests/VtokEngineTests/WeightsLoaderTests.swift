// Damaged and wrong weights files: each gives the expected typed WeightsError, never a crash.

import Foundation
import XCTest
@testable import VtokEngine

final class WeightsLoaderTests: XCTestCase {
    /// Splits a safetensors file into (header object, data section), and back (FixtureSupport.swift).
    private func split(_ bytes: [UInt8]) throws -> ([String: Any], [UInt8]) { try SafeTensorsBytes.split(bytes) }
    private func join(_ header: [String: Any], _ data: [UInt8]) throws -> [UInt8] { try SafeTensorsBytes.join(header, data) }

    /// The tiny model with its header (and optionally data) edited.
    private func edited(_ edit: (inout [String: Any], inout [UInt8]) throws -> Void) throws -> [UInt8] {
        guard let bytes = Fixtures.tinyModelBytes else { throw XCTSkip("tiny model missing") }
        var (header, data) = try split(bytes)
        try edit(&header, &data)
        return try join(header, data)
    }

    /// Edits the vtok_config JSON inside the metadata.
    private func editedConfig(_ edit: (inout [String: Any]) throws -> Void) throws -> [UInt8] {
        try edited { header, _ in
            var meta = try XCTUnwrap(header["__metadata__"] as? [String: Any])
            let text = try XCTUnwrap(meta["vtok_config"] as? String)
            var cfg = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            try edit(&cfg)
            meta["vtok_config"] = String(decoding: try JSONSerialization.data(withJSONObject: cfg), as: UTF8.self)
            header["__metadata__"] = meta
        }
    }

    private func expect(_ bytes: [UInt8], _ expected: WeightsError, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try VtokModel(bytes: bytes)
            XCTFail("loaded a bad file, expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    func testTinyModelLoads() throws {
        let m = try Fixtures.tinyModel()
        XCTAssertEqual(m.name, "vtok-tiny-test")
        XCTAssertEqual(m.config.fsqLevels, [8, 8, 8, 5, 5, 5])
        XCTAssertEqual(m.config.vocabularySize, 64000)
        XCTAssertEqual(m.config.temporalFactor, 4)
        XCTAssertEqual(m.config.spatialFactor, 8)
        XCTAssertEqual(m.metadata["format"], "vtok-weights")
    }

    func testTruncatedAtManyOffsets() throws {
        guard let bytes = Fixtures.tinyModelBytes else { throw XCTSkip("tiny model missing") }
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        expect([], .truncated(needed: 8, available: 0))
        expect(Array(bytes[..<5]), .truncated(needed: 8, available: 5))
        for cut in [8, 100, 8 + n - 1] {
            expect(Array(bytes[..<cut]), .truncated(needed: 8 + n, available: cut))
        }
        for cut in [8 + n, 8 + n + 1000, bytes.count / 2, bytes.count - 1] {
            XCTAssertThrowsError(try VtokModel(bytes: Array(bytes[..<cut]))) { error in
                guard case .badOffsets = error as? WeightsError else { return XCTFail("cut \(cut): \(error)") }
            }
        }
    }

    func testHeaderLengthPastEndOfFile() throws {
        var bytes: [UInt8] = [0xff, 0xff, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)
        expect(bytes, .truncated(needed: 8 + 0xffff, available: bytes.count))
        bytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + Array("{}".utf8)
        XCTAssertThrowsError(try VtokModel(bytes: bytes)) { XCTAssertNotNil($0 as? WeightsError) }
    }

    func testBadJSON() {
        let json = Array("{\"a\": [1, 2".utf8)
        expect((0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) } + json,
               .badHeader("header is not valid JSON"))
        let list = Array("[1, 2]".utf8)
        expect((0..<8).map { UInt8(truncatingIfNeeded: list.count >> (8 * $0)) } + list,
               .badHeader("header is not a JSON object"))
    }

    func testNotAVtokFile() throws {
        expect(try edited { h, _ in h["__metadata__"] = ["format": "pt"] }, .notVtokFile)
        expect(try edited { h, _ in h.removeValue(forKey: "__metadata__") }, .notVtokFile)
    }

    func testMissingTensor() throws {
        expect(try edited { h, _ in h.removeValue(forKey: "enc.res0.conv1.bias") }, .missingTensor("enc.res0.conv1.bias"))
    }

    func testExtraTensor() throws {
        expect(try edited { h, d in
            h["bonus.weight"] = ["dtype": "F32", "shape": [2], "data_offsets": [d.count, d.count + 8]]
            d += [UInt8](repeating: 0, count: 8)
        }, .unexpectedTensor("bonus.weight"))
    }

    func testWrongShape() throws {
        expect(try edited { h, _ in
            var e = try XCTUnwrap(h["enc.conv_out.weight"] as? [String: Any])
            e["shape"] = [1, 1, 1, 6, 24]                      // transposed (cin, cout), same size
            h["enc.conv_out.weight"] = e
        }, .wrongShape(tensor: "enc.conv_out.weight", expected: [1, 1, 1, 24, 6], found: [1, 1, 1, 6, 24]))
    }

    func testF64Unsupported() throws {
        expect(try edited { h, d in
            h["enc.norm_out.weight"] = ["dtype": "F64", "shape": [24], "data_offsets": [d.count, d.count + 24 * 8]]
            d += [UInt8](repeating: 0, count: 24 * 8)
        }, .unsupportedDType(tensor: "enc.norm_out.weight", dtype: "F64"))
    }

    func testF16AndBF16AreWidened() throws {
        // Replace one norm weight by an F16 (then BF16) copy holding 1.5 everywhere.
        // The encoder identity hashes the widened values: F32 bytes are hashed in place, F16 and BF16 widened
        // first, so all three copies of 1.5 give one identity.
        var identities: [[UInt8]] = []
        for (dtype, pattern) in [("F32", [UInt8(0x00), 0x00, 0xc0, 0x3f]), ("F16", [UInt8(0x00), 0x3e]),
                                 ("BF16", [UInt8(0xc0), 0x3f])] {
            let bytes = try edited { h, d in
                h["enc.norm_out.weight"] = ["dtype": dtype, "shape": [24],
                                            "data_offsets": [d.count, d.count + 24 * pattern.count]]
                for _ in 0..<24 { d += pattern }
            }
            XCTAssertNoThrow(try VtokModel(bytes: bytes), dtype)
            if let m = try? VtokModel(bytes: bytes) { identities.append(m.encoderSHA256) }
        }
        XCTAssertEqual(identities.count, 3)
        XCTAssertEqual(Set(identities).count, 1, "one identity for the same values in F32, F16 and BF16")
        XCTAssertNotEqual(identities.first, try Fixtures.tinyModel().encoderSHA256, "the values are in the identity")
        XCTAssertEqual(SafeTensors.halfToFloat(0x3e00), 1.5)
        XCTAssertEqual(SafeTensors.halfToFloat(0xc000), -2)
        XCTAssertEqual(SafeTensors.halfToFloat(0x0001), Float(sign: .plus, exponent: -24, significand: 1))
    }

    func testConfigVersion3() throws {
        expect(try editedConfig { $0["version"] = 3 }, .unsupportedConfigVersion(3))
    }

    func testD2TNeedsVersion2() throws {
        expect(try editedConfig { cfg in
            var dec = try XCTUnwrap(cfg["decoder"] as? [Any])
            dec.insert(["op": "d2t", "f": 1], at: 1)
            cfg["decoder"] = dec
        }, .badConfig("op d2t needs config version 2"))
    }

    func testUnknownOp() throws {
        expect(try editedConfig { cfg in
            var enc = try XCTUnwrap(cfg["encoder"] as? [Any])
            enc.insert(["op": "gelu"], at: 2)
            cfg["encoder"] = enc
        }, .unknownOp("gelu"))
    }

    func testInvalidGraph() throws {
        XCTAssertThrowsError(try VtokModel(bytes: try editedConfig { cfg in
            var enc = try XCTUnwrap(cfg["encoder"] as? [Any])
            enc.remove(at: 3)                                     // drop s2d: channels no longer match
            cfg["encoder"] = enc
        })) { error in
            guard case .invalidGraph = error as? WeightsError else { return XCTFail("\(error)") }
        }
        expect(try edited { h, _ in
            var meta = try XCTUnwrap(h["__metadata__"] as? [String: Any])
            meta["vtok_config"] = "{not json"
            h["__metadata__"] = meta
        }, .badConfig("vtok_config is not valid JSON"))
    }

    func testOffsetsOutOfRangeAndOverlapping() throws {
        expect(try edited { h, d in
            var e = try XCTUnwrap(h["enc.norm_out.weight"] as? [String: Any])
            e["data_offsets"] = [d.count - 8, d.count + 88]
            h["enc.norm_out.weight"] = e
        }, .badOffsets(tensor: "enc.norm_out.weight"))
        expect(try edited { h, _ in
            var e = try XCTUnwrap(h["enc.norm_out.weight"] as? [String: Any])
            e["data_offsets"] = [96, 0]
            h["enc.norm_out.weight"] = e
        }, .badOffsets(tensor: "enc.norm_out.weight"))
        // Two tensors pointing at the same bytes.
        XCTAssertThrowsError(try VtokModel(bytes: try edited { h, _ in
            let a = try XCTUnwrap(h["enc.norm_out.weight"] as? [String: Any])
            var b = try XCTUnwrap(h["enc.res1.norm1.weight"] as? [String: Any])
            b["data_offsets"] = a["data_offsets"]
            h["enc.res1.norm1.weight"] = b
        })) { error in
            guard case .badOffsets = error as? WeightsError else { return XCTFail("\(error)") }
        }
        // Size that does not match dtype * shape.
        expect(try edited { h, _ in
            var e = try XCTUnwrap(h["enc.norm_out.weight"] as? [String: Any])
            e["shape"] = [25]
            h["enc.norm_out.weight"] = e
        }, .badOffsets(tensor: "enc.norm_out.weight"))
    }

    func testRandomCorruptionNeverCrashes() throws {
        guard let bytes = Fixtures.tinyModelBytes else { throw XCTSkip("tiny model missing") }
        var state: UInt64 = 12345
        for _ in 0..<40 {
            var b = bytes
            for _ in 0..<4 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let i = Int(state >> 33) % min(b.count, 4096)           // mostly hit the header
                b[i] ^= UInt8(truncatingIfNeeded: state >> 20) | 1
            }
            _ = try? VtokModel(bytes: b)
        }
    }

    func testMissingFile() {
        expect2(path: "/nonexistent/model.safetensors")
    }

    /// A 3 GiB file (sparse: no disk spent) is refused from its size, before anything is read.
    func testHugeFileIsRefusedUnread() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(getpid()).safetensors").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(truncate(path, 3 << 30), 0)
        XCTAssertThrowsError(try VtokModel(path: path)) {
            XCTAssertEqual($0 as? WeightsError, .tooLarge(bytes: 3 << 30, limit: VtokModel.maxFileBytes))
        }
    }

    /// A pipe is read in pieces to its end: the same model as from the file.
    func testModelFromAPipe() throws {
        guard let bytes = Fixtures.tinyModelBytes else { throw XCTSkip("tiny model missing") }
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(getpid()).fifo").path
        unlink(fifo)
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        defer { unlink(fifo) }
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            guard fd >= 0 else { return }
            bytes.withUnsafeBytes { p in
                var off = 0
                while off < p.count {
                    let n = write(fd, p.baseAddress! + off, min(65_536, p.count - off))   // small pieces
                    if n <= 0 { break }
                    off += n
                }
            }
            close(fd)
        }
        writer.start()
        let m = try VtokModel(path: fifo)
        XCTAssertEqual(m.sha256, try VtokModel(bytes: bytes).sha256)
    }

    private func expect2(path: String) {
        XCTAssertThrowsError(try VtokModel(path: path)) {
            XCTAssertEqual($0 as? WeightsError, .cannotRead(path: path))
        }
    }
}
