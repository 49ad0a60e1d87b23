// What `vtok decode` writes: the source's size by default (--size model|source|WxH), a picture for a 1-frame
// stream (PNG, JPEG), a numbered image sequence for a longer one, and image sequences as encode input.
import Foundation
import XCTest
import VtokStream

final class DecodeOutputTests: CLITestCase {
    /// "WxH" of the first video stream of `file`, as ffprobe reads it.
    func probeSize(_ file: String) throws -> String {
        let r = try run(CLI.ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                                      "-of", "csv=p=0:s=x", file])
        guard r.status == 0 else { throw CLITestError("ffprobe failed: \(r.summary)") }
        return r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A 100x60 source tokenised at 48x32: decode restores 100x60 unless asked for the model's or another size.
    func testDecodeRestoresTheSourceSize() throws {
        let source = try clip("src.mkv", size: "100x60", frames: 5, codec: "ffv1")
        let enc = try encode(source, ["-o", path("s.vtok")])
        assertSuccess(enc)
        XCTAssertEqual(ParsedStream(try readBytes(path("s.vtok"))).headers.first?.sourceSize.width, 100)
        let cases: [([String], String)] = [([], "100x60"), (["--size", "source"], "100x60"), (["--size", "model"], "48x32"),
                                           (["--size", "64x40"], "64x40")]
        for (extra, expected) in cases {
            let out = path("out-\(expected).mp4")
            let r = try vtok(["decode", path("s.vtok"), "-o", out, "--model", CLI.tinyModel] + extra)
            assertSuccess(r)
            XCTAssertEqual(try probeSize(out), expected, "decode \(extra)")
            XCTAssertEqual(try probeTimes(out).count, 5)
        }
        // An odd source side is rounded down to even (4:2:0 video).
        let odd = try clip("odd.mkv", size: "101x61", frames: 1, codec: "ffv1")
        assertSuccess(try encode(odd, ["-o", path("odd.vtok")]))
        assertSuccess(try vtok(["decode", path("odd.vtok"), "-o", path("odd.mkv"), "--model", CLI.tinyModel]))
        XCTAssertEqual(try probeSize(path("odd.mkv")), "100x60")

        let bad = try vtok(["decode", path("s.vtok"), "-o", path("x.mp4"), "--model", CLI.tinyModel, "--size", "huge"])
        XCTAssertEqual(bad.status, 64, bad.summary)
        XCTAssertTrue(bad.stderr.contains("--size must be source, model or WxH"), bad.summary)
    }

    /// A picture tokenises to a 1-frame stream, which decodes to PNG or JPEG at the picture's size.
    func testOneFrameStreamDecodesToAPicture() throws {
        let png = try ffmpeg("photo.png", ["-f", "lavfi", "-i", "testsrc2=size=80x48", "-frames:v", "1"])
        let enc = try encode(png, ["-o", path("photo.vtok")])
        assertSuccess(enc)
        XCTAssertEqual(ParsedStream(try readBytes(path("photo.vtok"))).pts.count, 1)
        for (name, magic) in [("out.png", [0x89, 0x50, 0x4E, 0x47] as [UInt8]), ("out.jpg", [0xFF, 0xD8, 0xFF]),
                              ("out.jpeg", [0xFF, 0xD8, 0xFF])] {
            let r = try vtok(["decode", path("photo.vtok"), "-o", path(name), "--model", CLI.tinyModel])
            assertSuccess(r)
            XCTAssertEqual(Array(try readBytes(path(name)).prefix(magic.count)), magic, "\(name) is a real \(name.suffix(3))")
            XCTAssertEqual(try probeSize(path(name)), "80x48", name)
        }
        // --codec png is honoured as well (it used to fail in avcodec_open2).
        assertSuccess(try vtok(["decode", path("photo.vtok"), "-o", path("forced.png"), "--codec", "png",
                                "--model", CLI.tinyModel]))
        XCTAssertEqual(try probeSize(path("forced.png")), "80x48")
    }

    /// More frames than a single picture holds: exit 2, and the message says to use a numbered pattern.
    func testManyFramesIntoOnePictureSaysWhatToDo() throws {
        let clip = try clip("c.mkv", frames: 5, codec: "ffv1")
        assertSuccess(try encode(clip, ["-o", path("c.vtok")]))
        let r = try vtok(["decode", path("c.vtok"), "-o", path("one.png"), "--model", CLI.tinyModel])
        assertReported(r, status: 2, mentions: "out_%04d.png")
    }

    /// `out_%04d.png` both ways: decode writes one PNG per frame; encode reads them back as a video.
    func testImageSequencesBothWays() throws {
        let clip = try clip("c.mkv", size: "64x40", frames: 6, codec: "ffv1")
        assertSuccess(try vtok(["encode", clip, "--model", CLI.tinyModel, "--size", "48x32", "-o", path("c.vtok")]))
        try FileManager.default.createDirectory(atPath: path("frames"), withIntermediateDirectories: true)
        let r = try vtok(["decode", path("c.vtok"), "-o", path("frames/out_%04d.png"), "--model", CLI.tinyModel])
        assertSuccess(r)
        let files = try FileManager.default.contentsOfDirectory(atPath: path("frames")).sorted()
        XCTAssertEqual(files, (1...6).map { String(format: "out_%04d.png", $0) })
        for f in files { XCTAssertEqual(try probeSize(path("frames/" + f)), "64x40", f) }

        let back = try vtok(["encode", path("frames/out_%04d.png"), "--model", CLI.tinyModel, "--size", "48x32",
                             "-o", path("back.vtok")])
        assertSuccess(back)
        let s = ParsedStream(try readBytes(path("back.vtok")))
        s.assertWellFormed()
        XCTAssertEqual(s.pts.count, 6)
        XCTAssertEqual(s.headers.first?.sourceSize.width, 64)
        XCTAssertEqual(s.headers.first?.sourceSize.height, 40)
    }
}
