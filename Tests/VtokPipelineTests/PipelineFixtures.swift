// Clips made at test time with the ffmpeg CLI, and the tiny engine fixture model.
import Foundation
import XCTest
import VtokEngine
import VtokTestSupport

enum PipelineFixtures {
    static let directory: URL = {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("vtok-pipeline-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// The tiny random-weight model the engine tests use (training/fixtures.py): fast and in the release format.
    static func tinyModel() throws -> VtokModel {
        try VtokModel(path: TestPaths.tinyModel)
    }

    /// `ffmpeg -y <args> <dir/name>`; returns the path.
    static func make(_ name: String, _ args: [String]) throws -> String {
        try TestClips.make(directory.appendingPathComponent(name).path, args)
    }

    static func testsrc(_ name: String, size: String, rate: String = "25", frames: Int, extra: [String] = []) throws -> String {
        try make(name, TestClips.testsrc(size: size, rate: rate, frames: frames) + extra)
    }

    /// Presentation time in seconds of every video frame of a file, as ffprobe reports them.
    static func probeTimes(_ path: String) throws -> [Double] { try TestClips.probeTimes(path) }
}
