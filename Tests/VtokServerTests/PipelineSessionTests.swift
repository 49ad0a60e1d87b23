// The daemon with the real pipeline (FFmpeg + engine, the tiny fixture model): parallel clients get exactly
// the stream a single EncodePipeline run makes from the same bytes; garbage gets END(inputError).
import Foundation
import Glibc
import XCTest
import VtokTestSupport
@testable import VtokServer
import VtokEngine
import VtokMedia
import VtokPipeline
import VtokStream

final class PipelineSessionTests: XCTestCase {
    private let streamID = Array(repeating: UInt8(0x5A), count: 16)

    private func options() throws -> EncodeOptions { try tinyPipelineOptions() }

    /// A short NUT clip (streamable through a pipe) made with the ffmpeg CLI.
    private func clip(frames: Int) throws -> [UInt8] {
        guard FileManager.default.isExecutableFile(atPath: TestClips.ffmpeg) else { throw XCTSkip("ffmpeg CLI not installed") }
        let path = temporaryDirectory() + "/clip.nut"
        try TestClips.make(path, TestClips.testsrc(size: "96x64", frames: frames, codec: "mpeg4", format: "nut"))
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// What `vtok encode - < clip` writes: one pipeline reading the same bytes from a pipe.
    private func reference(_ media: [UInt8], _ options: EncodeOptions) throws -> [UInt8] {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        Thread.detachNewThread {
            media.withUnsafeBytes { raw in
                var off = 0
                while off < raw.count {
                    let n = write(writeEnd, raw.baseAddress! + off, raw.count - off)
                    if n <= 0 { break }
                    off += n
                }
            }
            close(writeEnd)
        }
        defer { close(readEnd) }
        let pipeline = try EncodePipeline(input: .fileDescriptor(readEnd), options: options)
        pipeline.streamID = streamID
        var out = [UInt8]()
        _ = pipeline.run(emit: { out += $0 })
        return out
    }

    func testParallelSessionsMatchASingleRunByteForByte() throws {
        let options = try options()
        let media = try clip(frames: 9)
        let expected = try reference(media, options)
        XCTAssertEqual(endInfo(decode(expected).events)?.framesIn, 9)
        let daemon = try InProcessDaemon(factory: PipelineSourceFactory(options: options, streamID: streamID))
        defer { daemon.stop() }
        let results = Box<[Int: [UInt8]]>()
        results.set([:])
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 3) { i in
            guard let client = try? TestClient(path: daemon.socketPath) else { return }
            let out = client.exchange(media)
            lock.lock()
            results.set((results.get() ?? [:]).merging([i: out]) { $1 })
            lock.unlock()
        }
        for i in 0..<3 { XCTAssertEqual(results.get()?[i], expected, "client \(i)") }
    }

    /// The media limits have one route: the factory's EncodeOptions, as for `vtok encode`.
    func testMediaLimitsComeFromTheEncodeOptions() throws {
        var options = try options()
        options.limits.maxFrames = 5
        let media = try clip(frames: 9)
        let expected = try reference(media, options)
        XCTAssertEqual(endInfo(decode(expected).events)?.framesIn, 5)
        XCTAssertEqual(endInfo(decode(expected).events)?.reason, .limitExceeded)
        let daemon = try InProcessDaemon(factory: PipelineSourceFactory(options: options, streamID: streamID))
        defer { daemon.stop() }
        XCTAssertEqual(try TestClient(path: daemon.socketPath).exchange(media), expected)

        options.limits.maxFrames = nil
        options.media.maxPixels = 96 * 64 - 1
        let small = try InProcessDaemon(factory: PipelineSourceFactory(options: options, streamID: streamID))
        defer { small.stop() }
        let (events, complete) = decode(try TestClient(path: small.socketPath).exchange(media))
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.reason, .inputError)
        XCTAssertTrue(endInfo(events)?.message.contains("6143") ?? false, "\(events)")
    }

    func testGarbageThroughFFmpegEndsWithInputError() throws {
        let daemon = try InProcessDaemon(factory: PipelineSourceFactory(options: try options()))
        defer { daemon.stop() }
        let client = try TestClient(path: daemon.socketPath)
        let (events, complete) = decode(client.exchange((0..<20_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }))
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.reason, .inputError)
    }
}
