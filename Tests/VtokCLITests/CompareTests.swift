// `vtok compare`: per-frame and mean PSNR/SSIM on RGB that agree with FFmpeg's psnr and ssim filters, the position
// within the latent group, JSON and a table, a gnuplot plot (a small PNG of a known size) and a side-by-side video.
import Foundation
import XCTest

final class CompareTests: CLITestCase {
    /// Lossless RGB clips (rawvideo rgb24 in NUT), so vtok and FFmpeg see exactly the same samples.
    func pair(frames: Int = 7) throws -> (String, String) {
        let a = try ffmpeg("a.nut", ["-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25", "-frames:v", String(frames),
                                     "-pix_fmt", "rgb24", "-c:v", "rawvideo"])
        let b = try ffmpeg("b.nut", ["-i", a, "-vf", "gblur=sigma=1.5,noise=alls=20:allf=t", "-pix_fmt", "rgb24",
                                     "-c:v", "rawvideo"])
        return (a, b)
    }

    /// FFmpeg's own figure: "average:19.100052" from psnr, "All:0.461577" from ssim.
    func ffmpegScore(_ a: String, _ b: String, filter: String, key: String) throws -> Double {
        let r = try run(CLI.ffmpeg, ["-hide_banner", "-nostats", "-i", a, "-i", b, "-lavfi", "[0][1]\(filter)", "-f", "null", "-"])
        let line = try XCTUnwrap(r.stderrLines.last { $0.contains(key) }, r.summary)
        let value = line.components(separatedBy: key).last?.split(separator: " ").first.map(String.init)
        return try XCTUnwrap(value.flatMap(Double.init), line)
    }

    func json(_ r: ProcessResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], r.stdoutText)
    }

    func testCompareAgreesWithFFmpegFilters() throws {
        let (a, b) = try pair()
        let r = try vtok(["compare", a, b, "--json"])
        assertSuccess(r)
        let o = try json(r)
        let mean = try XCTUnwrap(o["mean"] as? [String: Any])
        XCTAssertEqual(mean["psnr_db"] as? Double ?? 0, try ffmpegScore(a, b, filter: "psnr", key: "average:"), accuracy: 0.01)
        XCTAssertEqual(mean["ssim"] as? Double ?? 0, try ffmpegScore(a, b, filter: "ssim", key: "All:"), accuracy: 0.001)
        let frames = try XCTUnwrap(o["per_frame"] as? [[String: Any]])
        XCTAssertEqual(frames.count, 7)
        XCTAssertEqual(frames.map { $0["position"] as? Int ?? -1 }, [0, 0, 1, 2, 3, 0, 1], "frame 0 alone, then groups of 4")
        XCTAssertEqual(frames.map { $0["latent"] as? Int ?? -1 }, [0, 1, 1, 1, 1, 2, 2])
        XCTAssertTrue(frames.allSatisfy { ($0["psnr_db"] as? Double ?? 0) > 10 && ($0["ssim"] as? Double ?? 0) < 1 })
        XCTAssertEqual((o["by_position"] as? [[String: Any]])?.count, 4)
        XCTAssertEqual(o["size"] as? String, "96x64")

        // The same numbers as a table.
        let t = try vtok(["compare", a, b])
        assertSuccess(t)
        XCTAssertTrue(t.stdoutText.contains("frame  latent  position  PSNR dB"), t.stdoutText)
        XCTAssertTrue(t.stdoutText.contains(String(format: "%.2f", mean["psnr_db"] as? Double ?? 0)), t.stdoutText)
        XCTAssertEqual(t.stdoutText.split(separator: "\n").filter { $0.hasPrefix("    ") }.count, 7, "one row per frame")

        // A video against itself: infinite PSNR is null in JSON, "inf" in the table; SSIM 1.
        let same = try json(try vtok(["compare", a, a, "--json"]))
        XCTAssertTrue((same["mean"] as? [String: Any])?["psnr_db"] is NSNull)
        XCTAssertEqual((same["mean"] as? [String: Any])?["ssim"] as? Double, 1)
    }

    /// --plot: a PNG drawn by gnuplot, 800x360 (800x640 with the code-usage panel), well under 200 KB;
    /// --side-by-side: three panels wide, as many frames as the inputs.
    func testPlotAndSideBySide() throws {
        let (a, b) = try pair()
        let r = try vtok(["compare", a, b, "--plot", path("q.png"), "--side-by-side", path("sbs.mp4")])
        assertSuccess(r)
        XCTAssertEqual(try pngSize(path("q.png")), [800, 360])
        XCTAssertLessThan(try readBytes(path("q.png")).count, 200_000)
        let probe = try run(CLI.ffprobe, ["-v", "error", "-count_frames", "-show_entries", "stream=width,height,nb_read_frames",
                                          "-of", "csv=p=0", path("sbs.mp4")])
        XCTAssertEqual(probe.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "288,64,7")

        // With --tokens: the code-usage histogram under it.
        let clip = try clip("c.mkv", frames: 5, codec: "ffv1")
        assertSuccess(try encode(clip, ["-o", path("c.vtok")]))
        assertSuccess(try vtok(["decode", path("c.vtok"), "-o", path("c-out.mkv"), "--model", CLI.tinyModel]))
        let t = try vtok(["compare", clip, path("c-out.mkv"), "--tokens", path("c.vtok"), "--plot", path("q2.png")])
        assertSuccess(t)
        XCTAssertEqual(try pngSize(path("q2.png")), [800, 640])
        // Identical videos (infinite PSNR) still plot.
        assertSuccess(try vtok(["compare", clip, clip, "--plot", path("q3.png")]))
        XCTAssertEqual(try pngSize(path("q3.png")), [800, 360])

        // vtok info --plot draws the histogram the same way (it was an 800x300 PNG of 720 KB with no axes).
        assertSuccess(try vtok(["info", path("c.vtok"), "--plot", path("usage.png")]))
        XCTAssertEqual(try pngSize(path("usage.png")), [800, 360])
        XCTAssertLessThan(try readBytes(path("usage.png")).count, 100_000)
    }

    func testFrameCountMismatchAndBadInputs() throws {
        let (a, _) = try pair(frames: 7)
        let short = try ffmpeg("short.nut", ["-i", a, "-frames:v", "5", "-c:v", "rawvideo"])
        let r = try vtok(["compare", a, short])
        assertReported(r, status: 1, mentions: "the reference has 7 frames and the reconstruction 5")
        let missing = try vtok(["compare", a, path("nope.mp4")])
        assertReported(missing, status: 1, mentions: "cannot read the reconstruction")
        XCTAssertFalse(missing.stderr.contains("avformat_open_input failed"), "FFmpeg's detail comes after vtok's words")
        let usage = try vtok(["compare", a])
        XCTAssertEqual(usage.status, 64, usage.summary)
        let notPNG = try vtok(["compare", a, a, "--plot", path("q.gif")])
        XCTAssertEqual(notPNG.status, 64, notPNG.summary)
    }

    /// Width and height from a PNG's IHDR chunk.
    func pngSize(_ file: String) throws -> [Int] {
        let b = try readBytes(file)
        guard b.count > 24, b.prefix(4) == [0x89, 0x50, 0x4E, 0x47] else { throw CLITestError("\(file) is not a PNG") }
        func u32(_ i: Int) -> Int { b[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return [u32(16), u32(20)]
    }

    /// `vtok eval INPUT`: the round trip and compare in one command, FFV1 in between, nothing left behind unless --keep.
    func testEvalRunsTheRoundTrip() throws {
        let clip = try clip("e.mkv", size: "100x60", frames: 6, codec: "ffv1")
        let r = try vtok(["eval", clip, "--model", CLI.tinyModel, "--size", "48x32", "--json", "--keep", path("kept")])
        assertSuccess(r)
        let o = try json(r)
        XCTAssertEqual(o["frames"] as? Int, 6)
        XCTAssertEqual(o["size"] as? String, "100x60")
        XCTAssertEqual(o["reconstruction_size"] as? String, "100x60", "decoded at the source size")
        XCTAssertGreaterThan((o["mean"] as? [String: Any])?["psnr_db"] as? Double ?? 0, 5)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("kept/tokens.vtok")))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("kept/reconstruction.mkv")))
        let missing = try vtok(["eval", path("nope.mp4"), "--model", CLI.tinyModel])
        assertReported(missing, status: 1, mentions: "no such file: check the path")
    }
}
