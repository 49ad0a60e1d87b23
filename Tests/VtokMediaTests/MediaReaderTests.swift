// Reading files, pipes and live sources.
import Foundation
import XCTest
@testable import VtokMedia

final class MediaReaderTests: XCTestCase {
    func testReadsMP4AtSourceSize() throws {
        let reader = try MediaReader(path: try Fixtures.mp4, options: MediaReaderOptions(size: .source))
        XCTAssertEqual(reader.info.codecName, "h264")
        XCTAssertTrue(reader.info.containerName.contains("mp4"))
        XCTAssertEqual(reader.info.frameRate, Rational(25, 1))
        XCTAssertEqual(reader.info.sourceSize, FrameSize(width: 64, height: 48))
        XCTAssertFalse(reader.info.isLive)
        let frames = try Fixtures.readAll(reader)
        XCTAssertEqual(frames.count, 25)
        XCTAssertEqual(frames.map(\.index), Array(0..<25))
        for frame in frames {
            XCTAssertEqual(frame.size, FrameSize(width: 64, height: 48))
            XCTAssertEqual(frame.pixels.count, 64 * 48 * 3)
        }
        XCTAssertEqual(zip(frames, frames.dropFirst()).filter { $0.pts >= $1.pts }.count, 0)
        XCTAssertEqual(reader.diagnostics.decodedFrames, 25)
        XCTAssertFalse(reader.diagnostics.truncated)
        XCTAssertNil(try reader.nextFrame())
    }

    func testReadsMKVWithDefaultShortSide() throws {
        let reader = try MediaReader(path: try Fixtures.mkv)
        XCTAssertTrue(reader.info.containerName.contains("matroska"))
        XCTAssertEqual(reader.info.outputSize, FrameSize(width: 344, height: 256))
        let frames = try Fixtures.readAll(reader)
        XCTAssertEqual(frames.count, 25)
        XCTAssertEqual(frames.first?.size, FrameSize(width: 344, height: 256))
        XCTAssertEqual(frames.first?.pts, 0)
        XCTAssertEqual(frames.last?.pts, 960)   // ms time base
        XCTAssertEqual(reader.info.timeBase, Rational(1, 1000))
    }

    func testCropAndExactSize() throws {
        var options = MediaReaderOptions(size: .exact(FrameSize(width: 128, height: 128)), crop: true)
        options.scaling = .area
        let reader = try MediaReader(path: try Fixtures.mkv, options: options)
        let frame = try XCTUnwrap(try reader.nextFrame())
        XCTAssertEqual(frame.size, FrameSize(width: 128, height: 128))
        // Without crop the same request squeezes; the pictures differ.
        let squeezed = try XCTUnwrap(try MediaReader(path: try Fixtures.mkv,
            options: MediaReaderOptions(size: .exact(FrameSize(width: 128, height: 128)))).nextFrame())
        XCTAssertNotEqual(frame.pixels, squeezed.pixels)
    }

    func testForcedFormat() throws {
        var options = MediaReaderOptions(size: .source)
        options.format = "nut"
        let frames = try Fixtures.readAll(try MediaReader(path: try Fixtures.nut, options: options))
        XCTAssertEqual(frames.count, 25)
        options.format = "no-such-format"
        XCTAssertThrowsError(try MediaReader(path: try Fixtures.nut, options: options)) {
            XCTAssertEqual($0 as? MediaError, .unknownFormat("no-such-format"))
        }
    }

    func testFrameRateResampling() throws {
        let reader = try MediaReader(path: try Fixtures.mp4,
                                     options: MediaReaderOptions(size: .source, frameRate: Rational(10, 1)))
        XCTAssertEqual(reader.info.timeBase, Rational(1, 10))
        let frames = try Fixtures.readAll(reader)
        XCTAssertEqual(frames.map(\.pts), Array(0...10).map(Int64.init))
        XCTAssertEqual(reader.diagnostics.decodedFrames, 25)
        // Upsampling duplicates.
        let up = try Fixtures.readAll(try MediaReader(path: try Fixtures.mp4,
            options: MediaReaderOptions(size: .source, frameRate: Rational(50, 1))))
        XCTAssertEqual(up.count, 49)
        XCTAssertEqual(up[0].pixels, up[1].pixels)
    }

    /// `ffmpeg ... -f nut -` into a pipe, read through the pipe's file descriptor.
    func testPipeInput() throws {
        let producer = try Producer(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-t", "1",
                                     "-c:v", "mpeg4", "-f", "nut", "-"])
        defer { producer.stop() }
        let reader = try MediaReader(fileDescriptor: producer.fileDescriptor, options: MediaReaderOptions(size: .source))
        XCTAssertTrue(reader.info.isLive)
        XCTAssertEqual(reader.info.containerName, "nut")
        XCTAssertEqual(try Fixtures.readAll(reader).count, 25)
    }

    /// A real-time producer (`ffmpeg -re`): frames must arrive while it is still running.
    func testLiveSourceDeliversProgressively() throws {
        let producer = try Producer(["-re", "-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-t", "3",
                                     "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                                     "-flush_packets", "1", "-f", "mpegts", "-"])
        defer { producer.stop() }
        let start = Date()
        let reader = try MediaReader(fileDescriptor: producer.fileDescriptor, options: MediaReaderOptions(size: .source))
        XCTAssertTrue(reader.info.isLive)
        var arrivals: [TimeInterval] = []
        var runningAtFirstFrame = false
        while let _ = try reader.nextFrame() {
            if arrivals.isEmpty { runningAtFirstFrame = producer.process.isRunning }
            arrivals.append(Date().timeIntervalSince(start))
        }
        XCTAssertEqual(arrivals.count, 75)
        XCTAssertTrue(runningAtFirstFrame, "first frame only arrived after the producer ended")
        XCTAssertLessThan(arrivals[0], 2.0, "first frame took \(arrivals[0]) s")
        XCTAssertGreaterThan(arrivals[74] - arrivals[0], 1.5, "frames were not spread over time")
    }
}

/// An ffmpeg child process writing to a pipe.
final class Producer {
    let process = Process()
    let pipe = Pipe()

    init(_ args: [String]) throws {
        process.executableURL = URL(fileURLWithPath: Fixtures.ffmpeg)
        process.arguments = ["-hide_banner", "-loglevel", "error"] + args
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Close our copy of the write end so the reader sees EOF when ffmpeg exits.
        try? pipe.fileHandleForWriting.close()
    }

    var fileDescriptor: Int32 { pipe.fileHandleForReading.fileDescriptor }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

extension MediaReaderTests {
    /// "-" reads stdin: the test puts a pipe on fd 0 for the duration.
    func testDashReadsStdin() throws {
        let producer = try Producer(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25", "-t", "0.4",
                                     "-c:v", "mpeg4", "-f", "nut", "-"])
        defer { producer.stop() }
        let savedStdin = dup(0)
        XCTAssertGreaterThanOrEqual(savedStdin, 0)
        XCTAssertEqual(dup2(producer.fileDescriptor, 0), 0)
        defer {
            dup2(savedStdin, 0)
            close(savedStdin)
        }
        let reader = try MediaReader(path: "-", options: MediaReaderOptions(size: .source))
        XCTAssertEqual(reader.info.url, "pipe:0")
        XCTAssertTrue(reader.info.isLive)
        XCTAssertEqual(try Fixtures.readAll(reader).count, 10)
    }
}

extension MediaReaderTests {
    /// A libavdevice input (lavfi stands in for a camera here): live automatically, frames flow.
    func testDeviceInputIsLive() throws {
        var options = MediaReaderOptions(size: .exact(FrameSize(width: 32, height: 24)))
        options.format = "lavfi"
        let reader = try MediaReader(path: "testsrc2=size=64x48:rate=25:duration=1", options: options)
        XCTAssertTrue(reader.info.isLive)
        let frames = try Fixtures.readAll(reader)
        // Device inputs drop what stream probing read (fflags nobuffer): a few leading frames may be gone.
        XCTAssertGreaterThan(frames.count, 15)
        XCTAssertLessThanOrEqual(frames.count, 25)
        XCTAssertEqual(frames.first?.size, FrameSize(width: 32, height: 24))
    }
}
