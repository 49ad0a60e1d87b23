// Where things are in the source tree, from this file's path (Tests/VtokTestSupport/TestPaths.swift).
import Foundation

public enum TestPaths {
    /// The package root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// Random weights in the release format (training/fixtures.py): any frame size that is a multiple of 8.
    public static let tinyModel = root.appendingPathComponent("Tests/VtokEngineTests/Fixtures/tiny-model.safetensors").path
    /// The shipped model.
    public static let releasedModel = root.appendingPathComponent("models/vtok-4x8x8.safetensors").path
    /// The second-generation decoder's training run, kept between sessions (training/README.md): not a release.
    public static let keptDecoderV2 = root.appendingPathComponent("training/checkpoints/d2-latest.safetensors").path

    /// Tests/Fixtures/fuzz/<kind>: the inputs a fuzz regression test replays (`safetensors`, `stream`, `media`).
    public static func fuzzFixtures(_ kind: String) -> URL {
        root.appendingPathComponent("Tests/Fixtures/fuzz").appendingPathComponent(kind)
    }
}
