// Bad input: every case gives a typed MediaError or ends cleanly with what could be decoded.
import Foundation
import XCTest
import VtokTestSupport
@testable import VtokMedia

final class MediaReaderErrorTests: XCTestCase {
    private func openError(_ path: String, _ options: MediaReaderOptions = MediaReaderOptions()) -> MediaError? {
        do {
            let reader = try MediaReader(path: path, options: options)
            _ = try Fixtures.readAll(reader)
            return nil
        } catch {
            return error as? MediaError
        }
    }

    func testRandomBytes() throws {
        // Seeded: some random buffers probe as a raw audio or image format and fail later ("no video stream"),
        // which another test covers; these 4 KiB must fail in avformat_open_input/find_stream_info.
        var generator = SplitMix64(state: 20261201)
        let bytes = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let error = openError(try Fixtures.file("random.bin", bytes))
        guard case let .cannotOpen(_, cause)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertTrue(cause.function.hasPrefix("avformat_"))
        XCTAssertFalse(error!.description.contains("\n"))
        XCTAssertTrue(error!.description.contains(cause.message))
    }

    func testEmptyFile() throws {
        let error = openError(try Fixtures.file("empty.mp4", Data()))
        guard case .cannotOpen? = error else { return XCTFail("got \(String(describing: error))") }
    }

    func testMissingFile() throws {
        let error = openError("/nonexistent/clip.mp4")
        guard case let .cannotOpen(_, cause)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(cause.function, "avformat_open_input")
        XCTAssertTrue(cause.message.contains("No such file"), cause.message)
    }

    func testAudioOnly() throws {
        let wav = try Fixtures.clip("tone.wav", ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5"])
        XCTAssertEqual(openError(wav), .noVideoStream(url: wav))
    }

    func testOverMaxPixels() throws {
        var options = MediaReaderOptions(size: .source)
        options.maxPixels = 1000
        XCTAssertEqual(openError(try Fixtures.mp4, options),
                       .tooManyPixels(size: FrameSize(width: 64, height: 48), limit: 1000))
    }

    func testZeroFrames() throws {
        let empty = try Fixtures.clip("noframes.nut", ["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "0",
                                                      "-c:v", "mpeg4"])
        let error = openError(empty)
        switch error {
        case .noFrames?, .cannotOpen?: break
        default: XCTFail("got \(String(describing: error))")
        }
    }

    /// A regular mp4 keeps its index (moov) at the end: cut in half, it cannot be opened at all.
    func testTruncatedMP4WithoutIndex() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: try Fixtures.mp4))
        let cut = try Fixtures.file("half.mp4", data.prefix(data.count / 2))
        guard case .cannotOpen? = openError(cut) else { return XCTFail("expected cannotOpen") }
    }

    /// With the index first (faststart), a cut file gives the frames before the cut, then ends normally.
    func testTruncatedFaststartMP4() throws {
        let full = try Fixtures.testsrc("faststart.mp4", seconds: 3, extra: ["-c:v", "libx264", "-preset", "ultrafast",
                                                                 "-movflags", "+faststart"])
        let data = try Data(contentsOf: URL(fileURLWithPath: full))
        let cut = try Fixtures.file("faststart-half.mp4", data.prefix(data.count / 2))
        let reader = try MediaReader(path: cut, options: MediaReaderOptions(size: .source))
        let frames = try Fixtures.readAll(reader)
        XCTAssertGreaterThan(frames.count, 10)
        XCTAssertLessThan(frames.count, 75)
        XCTAssertTrue(reader.diagnostics.truncated)
    }

    func testTruncatedMKV() throws {
        let full = try Fixtures.testsrc("trunc-src.mkv", extra: ["-c:v", "mpeg4", "-q:v", "2", "-g", "5"])
        let data = try Data(contentsOf: URL(fileURLWithPath: full))
        let cut = try Fixtures.file("half.mkv", data.prefix(data.count / 2))
        let reader = try MediaReader(path: cut, options: MediaReaderOptions(size: .source))
        let frames = try Fixtures.readAll(reader)
        XCTAssertGreaterThan(frames.count, 5)
        XCTAssertTrue(reader.diagnostics.truncated, "\(reader.diagnostics)")
        XCTAssertLessThan(frames.count, 25)
    }

    /// Garbage in the middle of a nut / mkv: the reader skips what it cannot decode and keeps going.
    func testCorruptMiddle() throws {
        for name in ["corrupt-src.nut", "corrupt-src.mkv"] {
            let full = try Fixtures.testsrc(name, extra: ["-c:v", "mpeg4", "-q:v", "2", "-g", "5"])
            var data = try Data(contentsOf: URL(fileURLWithPath: full))
            var generator = SystemRandomNumberGenerator()
            let start = data.count / 2
            for i in start..<(start + 2000) { data[i] = UInt8.random(in: 0...255, using: &generator) }
            let path = try Fixtures.file("corrupt-" + name, data)
            let reader = try MediaReader(path: path, options: MediaReaderOptions(size: .source))
            let frames = try Fixtures.readAll(reader)
            XCTAssertGreaterThan(frames.count, 8, name)
            XCTAssertLessThanOrEqual(frames.count, 25, name)
            XCTAssertEqual(zip(frames, frames.dropFirst()).filter { $0.pts >= $1.pts }.count, 0, name)
            let d = reader.diagnostics
            XCTAssertGreaterThan(d.skippedPackets + d.corruptFrames + d.timestampGaps, 0, "\(name): \(d)")
        }
    }

    /// Two MPEG-TS streams of different sizes, concatenated: one `.sizeChanged` event, then reading continues.
    func testFrameSizeChangeMidStream() throws {
        let a = try Fixtures.testsrc("size-a.ts", size: "64x48", seconds: 0.4, extra: ["-c:v", "mpeg2video"])
        let b = try Fixtures.testsrc("size-b.ts", size: "96x64", seconds: 0.4, extra: ["-c:v", "mpeg2video"])
        let joined = try Data(contentsOf: URL(fileURLWithPath: a)) + Data(contentsOf: URL(fileURLWithPath: b))
        let path = try Fixtures.file("size-change.ts", joined)
        let reader = try MediaReader(path: path, options: MediaReaderOptions(size: .source))
        var sizes: [FrameSize] = [], changes: [FrameSizeChange] = [], pts: [Int64] = []
        while let event = try reader.next() {
            switch event {
            case .frame(let frame):
                sizes.append(frame.size)
                pts.append(frame.pts)
            case .sizeChanged(let change):
                changes.append(change)
                XCTAssertEqual(reader.info.sourceSize, FrameSize(width: 96, height: 64))
            }
        }
        XCTAssertEqual(changes, [FrameSizeChange(old: FrameSize(width: 64, height: 48),
                                                 new: FrameSize(width: 96, height: 64))])
        XCTAssertTrue((18...20).contains(sizes.count), "\(sizes.count)")  // the seam packet may be lost, as in ffmpeg
        XCTAssertEqual(sizes.first, FrameSize(width: 64, height: 48))
        XCTAssertEqual(sizes.last, FrameSize(width: 96, height: 64))
        XCTAssertEqual(zip(pts, pts.dropFirst()).filter { $0 >= $1 }.count, 0)
    }
}

extension MediaReaderErrorTests {
    /// With resampling on, every old-size frame comes out before the size-change notice.
    func testFrameSizeChangeWithResampling() throws {
        let a = try Fixtures.testsrc("size-a.ts", size: "64x48", seconds: 0.4, extra: ["-c:v", "mpeg2video"])
        let b = try Fixtures.testsrc("size-b.ts", size: "96x64", seconds: 0.4, extra: ["-c:v", "mpeg2video"])
        let joined = try Data(contentsOf: URL(fileURLWithPath: a)) + Data(contentsOf: URL(fileURLWithPath: b))
        let path = try Fixtures.file("size-change-fps.ts", joined)
        let reader = try MediaReader(path: path, options: MediaReaderOptions(size: .source, frameRate: Rational(10, 1)))
        var events: [String] = [], pts: [Int64] = []
        while let event = try reader.next() {
            switch event {
            case .frame(let frame):
                events.append(frame.width == 64 ? "a" : "b")
                pts.append(frame.pts)
            case .sizeChanged:
                events.append("|")
            }
        }
        let pattern = events.joined()
        XCTAssertTrue(pattern.range(of: "^a+\\|b+$", options: .regularExpression) != nil, pattern)
        XCTAssertEqual(zip(pts, pts.dropFirst()).filter { $1 != $0 + 1 }.count, 0, "\(pts)")
    }

    func testDescriptionNamesTheCFunction() throws {
        let error = openError(try Fixtures.file("garbage.mkv", Data(repeating: 0x42, count: 1000)))
        let text = error.map { "\($0)" } ?? ""
        XCTAssertTrue(text.contains("avformat_open_input failed: Invalid data found when processing input"), text)
    }
}
