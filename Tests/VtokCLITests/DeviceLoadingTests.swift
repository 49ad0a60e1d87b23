// libavdevice (cameras, screens, lavfi: about 80 more shared libraries) is opened only when an input or output
// names a device format; a file or a pipe never loads it. What the dynamic loader reports (LD_DEBUG=files) shows
// which libraries a vtok process mapped.
import Foundation
import XCTest
import VtokStream

final class DeviceLoadingTests: CLITestCase {
    /// `vtok` with `arguments`, the loader listing every library it maps on stderr.
    private func vtokTracingLibraries(_ arguments: [String]) throws -> (status: Int32, loaded: [String], stderr: String) {
        var env = ProcessInfo.processInfo.environment
        env["LD_DEBUG"] = "files"
        let r = try run(vtok, arguments, environment: env)
        let stderr = r.stderr
        // "   1234:\tfile=libavdevice.so.59 [0];  dynamically loaded by ..." (or "needed by" for a linked one)
        let loaded = stderr.split(separator: "\n").compactMap { line -> String? in
            guard let at = line.range(of: "file=") else { return nil }
            return String(line[at.upperBound...].prefix { $0 != " " && $0 != "[" })
        }
        return (r.status, loaded, stderr)
    }

    func testAFileNeverLoadsTheDeviceLibrary() throws {
        let clip = try clip("d.mkv", frames: 5, codec: "ffv1")
        let r = try vtokTracingLibraries(["encode", clip, "--model", CLI.tinyModel, "--size", "48x32", "-o", path("d.vtok")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.loaded.contains { $0.hasPrefix("libavformat.so") }, "the trace lists what was mapped")
        XCTAssertFalse(r.loaded.contains { $0.hasPrefix("libavdevice.so") }, r.loaded.joined(separator: " "))
        XCTAssertFalse(r.loaded.contains { $0.hasPrefix("libavfilter.so") }, r.loaded.joined(separator: " "))
        // A forced demuxer that is libavformat's own does not load it either.
        let forced = try vtokTracingLibraries(["encode", clip, "-f", "matroska", "--model", CLI.tinyModel,
                                               "--size", "48x32", "-o", path("f.vtok")])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertFalse(forced.loaded.contains { $0.hasPrefix("libavdevice.so") })
    }

    func testADeviceFormatLoadsItAndFramesFlow() throws {
        let out = path("lavfi.vtok")
        let r = try vtokTracingLibraries(["encode", "-f", "lavfi", "testsrc2=size=48x32:rate=25:duration=1",
                                          "--model", CLI.tinyModel, "--size", "48x32", "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.loaded.contains { $0.hasPrefix("libavdevice.so") }, r.loaded.joined(separator: " "))
        XCTAssertTrue(r.stderr.contains("dynamically loaded by"), "opened at run time, not linked")
        var reader = StreamReader()
        reader.feed(try readBytes(out))
        var tokens = 0
        while let event = try reader.next() { if case .tokens = event { tokens += 1 } }
        XCTAssertGreaterThan(tokens, 3, "a second of a device input makes latent frames")
    }

    func testAnUnknownFormatStillSaysSo() throws {
        let r = try vtok(["encode", "-f", "no-such-format", "x", "--model", CLI.tinyModel, "-o", path("x.vtok")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("no input format 'no-such-format'"), r.stderr)
    }
}
