// Weights and latents crafted to trap the engine (issue 14): FSQ levels that overflow, NaN and infinite weights,
// non-finite latents. Each is refused with a typed error before a session starts, or quantised without a trap.

import Foundation
import XCTest
@testable import VtokEngine

final class HostileWeightsTests: XCTestCase {
    private func split(_ bytes: [UInt8]) throws -> ([String: Any], [UInt8]) { try SafeTensorsBytes.split(bytes) }
    private func join(_ header: [String: Any], _ data: [UInt8]) throws -> [UInt8] { try SafeTensorsBytes.join(header, data) }

    private func tiny() throws -> ([String: Any], [UInt8]) {
        guard let bytes = Fixtures.tinyModelBytes else { throw XCTSkip("tiny model missing") }
        return try split(bytes)
    }

    private func withLevels(_ levels: [Int]) throws -> [UInt8] {
        var (header, data) = try tiny()
        var meta = try XCTUnwrap(header["__metadata__"] as? [String: Any])
        var cfg = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(try XCTUnwrap(meta["vtok_config"] as? String).utf8)) as? [String: Any])
        cfg["fsq_levels"] = levels
        meta["vtok_config"] = String(decoding: try JSONSerialization.data(withJSONObject: cfg), as: UTF8.self)
        header["__metadata__"] = meta
        return try join(header, data)
    }

    /// fsq_levels of 65536 (one, or four whose product overflows Int) trapped at load.
    func testFSQLevelsOutOfRangeAreRefused() throws {
        for levels in [[65_536], [65_536, 65_536, 65_536, 65_536], [1 << 20, 1 << 20, 1 << 20, 1 << 20, 2, 2],
                       [0, 8, 8, 5, 5, 5], Array(repeating: 2, count: 17)] {
            XCTAssertThrowsError(try VtokModel(bytes: try withLevels(levels)), "\(levels)") { error in
                guard case .badConfig = error as? WeightsError else { return XCTFail("\(levels): \(error)") }
            }
        }
    }

    /// A NaN or an infinity anywhere in a tensor (a flipped exponent bit) is refused at load, naming the tensor.
    func testNonFiniteWeightsAreRefused() throws {
        for bits in [Float.nan.bitPattern, Float.infinity.bitPattern, (-Float.infinity).bitPattern,
                     Float.signalingNaN.bitPattern] {
            var (header, data) = try tiny()
            let entry = try XCTUnwrap(header["dec.res0.conv1.weight"] as? [String: Any])
            let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
            let at = offsets[0] + 4 * 7
            for k in 0..<4 { data[at + k] = UInt8(truncatingIfNeeded: bits >> (8 * k)) }
            header["dec.res0.conv1.weight"] = entry
            XCTAssertThrowsError(try VtokModel(bytes: try join(header, data))) { error in
                XCTAssertEqual(error as? WeightsError, .nonFiniteValue(tensor: "dec.res0.conv1.weight", index: 7))
            }
        }
    }

    /// FSQ on NaN, infinite and huge latents ('Float value cannot be converted to Int' before): codes in range.
    func testFSQIsTotalOnNonFiniteLatents() {
        let levels = [8, 8, 8, 5, 5, 5]
        let fsq = FSQ(levels: levels, eps: 1e-3)
        let odd: [Float] = [.nan, .infinity, -.infinity, 1e30, -1e30, .signalingNaN, 0, -0.0, .greatestFiniteMagnitude,
                            -.leastNonzeroMagnitude, 3, -3]
        let z = (0..<(odd.count * levels.count)).map { odd[$0 % odd.count] }            // (12, 6)
        var tokens = [UInt16](repeating: 0, count: odd.count)
        var continuous = [Float](repeating: 0, count: z.count)
        fsq.quantize(z, positions: odd.count, tokens: &tokens, continuous: &continuous)
        for t in tokens { XCTAssertLessThan(Int(t), 64_000) }
        for c in continuous { XCTAssertTrue(c.isFinite && abs(c) <= 1, "\(c)") }
    }
}
