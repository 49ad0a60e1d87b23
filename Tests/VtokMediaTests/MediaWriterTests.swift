// Writing frames and reading them back: count, pts and pixels survive.
import Foundation
import XCTest
import VtokTestSupport
@testable import VtokMedia

final class MediaWriterTests: XCTestCase {
    let size = FrameSize(width: 64, height: 48)

    /// Writes 12 frames with irregular pts, reads them back, compares.
    private func roundTrip(_ name: String, pts: [Int64], timeBase: Rational = Rational(1, 25),
                           file: StaticString = #filePath, line: UInt = #line) throws -> (MediaWriter, [VideoFrame]) {
        let path = Fixtures.directory.appendingPathComponent(name).path
        let writer = try MediaWriter(path: path, size: size, frameRate: Rational(25, 1), timeBase: timeBase)
        var written: [[UInt8]] = []
        for (i, p) in pts.enumerated() {
            let pixels = Fixtures.gradient(width: size.width, height: size.height, phase: i)
            written.append(pixels)
            try writer.write(pixels: pixels, width: size.width, height: size.height, pts: p)
        }
        try writer.finish()
        let reader = try MediaReader(path: path, options: MediaReaderOptions(size: .source))
        let frames = try Fixtures.readAll(reader)
        XCTAssertEqual(frames.count, pts.count, name, file: file, line: line)
        let back = frames.map { Rational.rescale($0.pts, from: reader.info.timeBase, to: timeBase) }
        XCTAssertEqual(back, pts, name, file: file, line: line)
        for (frame, original) in zip(frames, written) {
            let psnr = Fixtures.psnr(frame.pixels, original)
            XCTAssertGreaterThan(psnr, 30, "\(name) frame \(frame.index)", file: file, line: line)
        }
        return (writer, frames)
    }

    func testRoundTripMP4() throws {
        let (writer, _) = try roundTrip("rt.mp4", pts: [0, 1, 2, 4, 5, 6, 9, 10, 11, 12, 13, 20])
        XCTAssertEqual(writer.formatName, "mp4")
        XCTAssertEqual(writer.codecName, "libx264")
    }

    func testRoundTripMKV() throws {
        let (writer, _) = try roundTrip("rt.mkv", pts: [0, 1, 2, 4, 5, 6, 9, 10, 11, 12, 13, 20])
        XCTAssertEqual(writer.formatName, "matroska")
    }

    func testRoundTripNUT() throws {
        _ = try roundTrip("rt.nut", pts: [3, 4, 5, 7, 8, 100, 101, 102], timeBase: Rational(1, 1000))
    }

    func testRoundTripY4M() throws {
        let (writer, _) = try roundTrip("rt.y4m", pts: Array(0..<10))
        XCTAssertEqual(writer.codecName, "wrapped_avframe")   // raw yuv420p
    }

    func testRoundTripAVIWithMPEG4() throws {
        var options = MediaWriterOptions(codec: "mpeg4")
        options.mpeg4Quantizer = 2
        let path = Fixtures.directory.appendingPathComponent("rt.avi").path
        let writer = try MediaWriter(path: path, size: size, frameRate: Rational(25, 1), options: options)
        for i in 0..<5 {
            try writer.write(pixels: Fixtures.gradient(width: 64, height: 48, phase: i), width: 64, height: 48,
                             pts: Int64(i))
        }
        try writer.finish()
        XCTAssertEqual(try Fixtures.readAll(try MediaReader(path: path)).count, 5)
    }

    /// ffprobe agrees on the timestamps in the mp4 (so other tools see what we wrote).
    func testFFprobeSeesExactPTS() throws {
        let pts: [Int64] = [0, 1, 2, 4, 5, 6, 9, 10, 11, 12, 13, 20]
        _ = try roundTrip("probe.mp4", pts: pts)
        let path = Fixtures.directory.appendingPathComponent("probe.mp4").path
        let times = try TestClips.probeTimes(path)
        XCTAssertEqual(times.count, pts.count)
        let start = times.first ?? 0
        for (t, p) in zip(times, pts) { XCTAssertEqual(t - start, Double(p) / 25, accuracy: 1e-6) }
    }

    /// Writer into a pipe, reader on the other end, concurrently (like `-o - | ffplay -`).
    func testPipeRoundTrip() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let readFD = fds[0], writeFD = fds[1]
        let size = self.size
        let producer = Thread {
            defer { close(writeFD) }
            guard let writer = try? MediaWriter(fileDescriptor: writeFD, size: size, frameRate: Rational(25, 1)) else { return }
            XCTAssertTrue(writer.isLive)
            for i in 0..<20 {
                try? writer.write(pixels: Fixtures.gradient(width: 64, height: 48, phase: i), width: 64, height: 48,
                                  pts: Int64(i))
            }
            try? writer.finish()
        }
        producer.start()
        defer { close(readFD) }
        let reader = try MediaReader(fileDescriptor: readFD, options: MediaReaderOptions(size: .source))
        XCTAssertEqual(reader.info.containerName, "nut")
        let frames = try Fixtures.readAll(reader)
        XCTAssertEqual(frames.map { Rational.rescale($0.pts, from: reader.info.timeBase, to: Rational(1, 25)) },
                       Array(0..<20).map(Int64.init))
    }

    func testRejectsBadFrames() throws {
        let path = Fixtures.directory.appendingPathComponent("bad.nut").path
        let writer = try MediaWriter(path: path, size: size, frameRate: Rational(25, 1))
        let pixels = Fixtures.gradient(width: 64, height: 48, phase: 0)
        XCTAssertThrowsError(try writer.write(pixels: [1, 2, 3], width: 1, height: 1, pts: 0))
        try writer.write(pixels: pixels, width: 64, height: 48, pts: 5)
        XCTAssertThrowsError(try writer.write(pixels: pixels, width: 64, height: 48, pts: 5)) {
            guard case .invalidFrame? = $0 as? MediaError else { return XCTFail("\($0)") }
        }
        try writer.finish()
        XCTAssertThrowsError(try writer.write(pixels: pixels, width: 64, height: 48, pts: 6)) {
            XCTAssertEqual($0 as? MediaError, .writerFinished)
        }
        XCTAssertThrowsError(try MediaWriter(path: path, size: FrameSize(width: 63, height: 48), frameRate: Rational(25, 1)))
        XCTAssertThrowsError(try MediaWriter(path: path + ".nosuchext", size: size, frameRate: Rational(25, 1))) {
            guard case .unknownFormat? = $0 as? MediaError else { return XCTFail("\($0)") }
        }
    }
}

extension MediaWriterTests {
    /// Pipe-friendly overrides: fragmented mp4 and matroska through a pipe read back by the reader.
    func testPipeFormatsOverride() throws {
        for format in ["mp4", "matroska"] {
            var fds: [Int32] = [0, 0]
            XCTAssertEqual(pipe(&fds), 0)
            let readFD = fds[0], writeFD = fds[1]
            let size = self.size
            let producer = Thread {
                defer { close(writeFD) }
                guard let writer = try? MediaWriter(fileDescriptor: writeFD, size: size, frameRate: Rational(25, 1),
                                                    options: MediaWriterOptions(format: format)) else { return }
                for i in 0..<10 {
                    try? writer.write(pixels: Fixtures.gradient(width: 64, height: 48, phase: i), width: 64,
                                      height: 48, pts: Int64(i))
                }
                try? writer.finish()
            }
            producer.start()
            defer { close(readFD) }
            let reader = try MediaReader(fileDescriptor: readFD, options: MediaReaderOptions(size: .source))
            let frames = try Fixtures.readAll(reader)
            XCTAssertEqual(frames.map { Rational.rescale($0.pts, from: reader.info.timeBase, to: Rational(1, 25)) },
                           Array(0..<10).map(Int64.init), format)
        }
    }
}

extension MediaWriterTests {
    /// Live output is flushed per frame: the reader gets frames while the writer is still open.
    func testLivePipeOutputIsFlushedPerFrame() throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let readFD = fds[0], writeFD = fds[1]
        let size = self.size
        let firstFrameSeen = DispatchSemaphore(value: 0)
        let sawFrameWhileWriterOpen = LockedFlag()
        let producer = Thread {
            defer { close(writeFD) }
            guard let writer = try? MediaWriter(fileDescriptor: writeFD, size: size, frameRate: Rational(25, 1)) else { return }
            for i in 0..<30 {
                try? writer.write(pixels: Fixtures.gradient(width: 64, height: 48, phase: i), width: 64, height: 48,
                                  pts: Int64(i))
                if i == 14 && firstFrameSeen.wait(timeout: .now() + 10) == .success { sawFrameWhileWriterOpen.set() }
            }
            try? writer.finish()
        }
        producer.start()
        defer { close(readFD) }
        let reader = try MediaReader(fileDescriptor: readFD, options: MediaReaderOptions(size: .source))
        var count = 0
        while let _ = try reader.nextFrame() {
            if count == 0 { firstFrameSeen.signal() }
            count += 1
        }
        XCTAssertEqual(count, 30)
        XCTAssertTrue(sawFrameWhileWriterOpen.value, "no frame reached the reader before the writer finished")
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.lock(); flag = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}
