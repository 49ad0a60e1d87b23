// Helpers shared by the engine tests: fixture files, reading their tensors, comparison metrics.

import Foundation
import XCTest
@testable import VtokEngine

enum Fixtures {
    /// Tests/VtokEngineTests/Fixtures/<name>, found through the resource bundle (or the source tree).
    static func url(_ name: String) -> URL? {
        if let u = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"),
           FileManager.default.fileExists(atPath: u.path) { return u }
        let src = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        return FileManager.default.fileExists(atPath: src.path) ? src : nil
    }

    /// The package root (for models/).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        guard let u = url(name) else { throw XCTSkip("fixture \(name) not found") }
        return [UInt8](try Data(contentsOf: u))
    }

    static let tinyModelBytes: [UInt8]? = try? bytes("tiny-model.safetensors")

    static func tinyModel() throws -> VtokModel {
        guard let b = tinyModelBytes else { throw XCTSkip("tiny-model.safetensors missing") }
        return try VtokModel(bytes: b)
    }

    static func tinyCases() throws -> SafeTensors { try SafeTensors(bytes: bytes("tiny-cases.safetensors")) }

    /// The tiny encoder with a version-2 decoder (nested d2t; training/fixtures.py `tiny_config_v2`).
    static func tinyModelD2() throws -> VtokModel { try VtokModel(bytes: bytes("tiny-model-d2.safetensors")) }

    static func tinyD2Cases() throws -> SafeTensors { try SafeTensors(bytes: bytes("tiny-d2-cases.safetensors")) }
}

/// A safetensors file as (header JSON, data bytes) and back, for tests that edit headers.
enum SafeTensorsBytes {
    static func split(_ bytes: [UInt8]) throws -> ([String: Any], [UInt8]) {
        var n = 0
        for i in 0..<8 { n |= Int(bytes[i]) << (8 * i) }
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
        return (header, Array(bytes[(8 + n)...]))
    }

    static func join(_ header: [String: Any], _ data: [UInt8]) throws -> [UInt8] {
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        return (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) } + json + data
    }
}

/// Deterministic synthetic frames, (n, h, w, 3) as n arrays.
func syntheticFrames(_ n: Int, width: Int, height: Int, seed: Int) -> [[UInt8]] {
    var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0..<n).map { t in
        (0..<(width * height * 3)).map { i in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let p = i / 3, x = p % width, y = p / width
            let base = 128 + 60 * sin(Double(x + 3 * t) / 5) + 40 * cos(Double(y - 2 * t + i % 3) / 4)
            return UInt8(max(0, min(255, base + Double(state % 41) - 20)))
        }
    }
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// PSNR in dB for signals in [-1, 1] units (peak-to-peak 2, like 255 on the byte scale).
func psnr(_ a: [Float], _ b: [Float]) -> Double {
    let mse = zip(a, b).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(max(a.count, 1))
    return mse == 0 ? .infinity : 10 * log10(4 / mse)
}

/// Splits frames by a chunk plan (sizes), the last chunk taking the rest.
func chunks<T>(_ items: [T], _ plan: [Int]) -> [[T]] {
    var out: [[T]] = []
    var i = 0
    for size in plan where i < items.count {
        out.append(Array(items[i..<min(items.count, i + size)]))
        i += size
    }
    if i < items.count { out.append(Array(items[i...])) }
    return out
}

/// Runs body once per convolution backend, with the compute options that select it for the sessions body
/// creates.
func forEachComputeBackend(_ body: (ComputeOptions) throws -> Void) rethrows {
    for b in ComputeBackend.allCases { try body(ComputeOptions(backend: b)) }
}
