// Replays Tests/Fixtures/fuzz/safetensors/ (hand-made reproductions and any crash scripts/fuzz.sh found) through
// the weights loader as the libFuzzer target does (Fuzz/SafeTensorsFuzz.swift): a WeightsError, never a trap.
import Foundation
import XCTest
import VtokTestSupport
@testable import VtokEngine

final class WeightsFuzzRegressionTests: XCTestCase {
    static let folder = TestPaths.fuzzFixtures("safetensors")

    func testEveryFixtureIsRefusedOrLoads() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).sorted()
        XCTAssertGreaterThanOrEqual(files.count, 2)
        for name in files {
            let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name)))
            if let file = try? SafeTensors(bytes: bytes) {
                for tensor in file.entries.keys { _ = try? file.floats(tensor) }
                if let json = file.metadata["vtok_config"] { _ = try? ModelConfig(json: json) }
            }
            do {
                let m = try VtokModel(bytes: bytes)
                XCTAssertLessThanOrEqual(m.config.vocabularySize, 65_536, name)
            } catch {
                XCTAssertNotNil(error as? WeightsError, "\(name): \(error)")
            }
        }
    }
}
