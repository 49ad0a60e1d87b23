// The options the daemon's real-pipeline tests start from: the tiny fixture model at 64x48.
import Foundation
import VtokTestSupport
import XCTest
import VtokEngine
import VtokMedia
import VtokPipeline

/// EncodeOptions for the tiny fixture model, frames scaled to 64x48; skips the test when the fixture is absent.
func tinyPipelineOptions() throws -> EncodeOptions {
    let path = TestPaths.tinyModel
    guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("no tiny fixture model") }
    var media = MediaReaderOptions()
    media.size = .exact(FrameSize(width: 64, height: 48))
    return EncodeOptions(model: try VtokModel(path: path), media: media)
}
