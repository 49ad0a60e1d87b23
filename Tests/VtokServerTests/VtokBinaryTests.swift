// `vtok serve` as shipped: the real binary, the real pipeline (tiny fixture model), SIGTERM mid-stream.
// Skipped until the binary is built with the serve subcommand wired in (set VTOK_BINARY to point at it).
import Foundation
import Glibc
import XCTest
import VtokStream

final class VtokBinaryTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The vtok binary next to this test bundle, or $VTOK_BINARY, if it has `serve`.
    private func binary() throws -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let candidates: [String?] = [ProcessInfo.processInfo.environment["VTOK_BINARY"],
                          URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("vtok").path]
        for case let path? in candidates where FileManager.default.isExecutableFile(atPath: path) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = ["serve", "--help"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let help = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            // Before `serve` is wired in, the root command answers with its own help (and status 0).
            if p.terminationStatus == 0 && help.contains("USAGE: vtok serve") { return path }
        }
        throw XCTSkip("no vtok binary with the serve subcommand (build it, or set VTOK_BINARY)")
    }

    func testServeTokenisesAndStopsCleanlyOnSigterm() throws {
        let vtok = try binary()
        let model = Self.root.appendingPathComponent("Tests/VtokEngineTests/Fixtures/tiny-model.safetensors").path
        let dir = temporaryDirectory()
        let clip = dir + "/clip.nut"
        let ff = Process()
        ff.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ff.arguments = ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25",
                        "-frames:v", "400", "-pix_fmt", "yuv420p", "-c:v", "mpeg4", "-f", "nut", clip]
        try ff.run()
        ff.waitUntilExit()
        let media = Array(try Data(contentsOf: URL(fileURLWithPath: clip)))

        let notify = try NotifyListener(path: dir + "/notify")
        let daemon = try ChildDaemon(executable: vtok, arguments: [
            "serve", "--socket", dir + "/vtok.sock", "--model", model, "--size", "64x48",
            "--metrics-socket", dir + "/metrics.sock"], environment: ["NOTIFY_SOCKET": dir + "/notify"])
        XCTAssertNotNil(notify.until("READY=1"), daemon.log)

        // A whole short clip first: complete, END(endOfInput).
        let short = try TestClient(path: dir + "/vtok.sock")
        let (events, complete) = decode(short.exchange(media))
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.reason, .endOfInput)
        XCTAssertEqual(endInfo(events)?.framesIn, 400)

        // Then SIGTERM while a client is still sending.
        let client = try TestClient(path: dir + "/vtok.sock")
        client.send(Array(media.prefix(media.count / 2)))
        _ = client.read(max: 1000)
        daemon.terminate()
        XCTAssertNotNil(notify.until("STOPPING=1"))
        let rest = decode(client.read()).events
        XCTAssertEqual(endInfo(rest)?.reason, .shutdown, daemon.log)
        XCTAssertEqual(daemon.exitStatus(timeout: 20), 0, daemon.log)
    }

    /// `vtok serve --socket precious.txt` (and --metrics-socket) refuses, with one line, and keeps the file.
    func testServeRefusesToReplaceARegularFile() throws {
        let vtok = try binary()
        let model = Self.root.appendingPathComponent("Tests/VtokEngineTests/Fixtures/tiny-model.safetensors").path
        let dir = temporaryDirectory()
        try Data("data\n".utf8).write(to: URL(fileURLWithPath: dir + "/precious.txt"))
        for args in [["--socket", dir + "/precious.txt"],
                     ["--socket", dir + "/ok.sock", "--metrics-socket", dir + "/precious.txt"],
                     ["--socket", "@vtok-test-\(getpid())", "--socket-mode", "0600"]] {
            let daemon = try ChildDaemon(executable: vtok, arguments: ["serve", "--model", model] + args, environment: [:])
            XCTAssertEqual(daemon.exitStatus(timeout: 20), 1, args.joined(separator: " "))
            let log = daemon.log
            let errors = log.split(separator: "\n").filter { $0.hasPrefix("<2>vtok: ") || $0.hasPrefix("<3>vtok: ") }
            XCTAssertEqual(errors.count, 1, log)
            XCTAssertTrue(log.contains("refusing to replace it") || log.contains("abstract socket"), log)
            XCTAssertEqual(FileManager.default.contents(atPath: dir + "/precious.txt"), Data("data\n".utf8))
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ok.sock"))
        }
    }

    /// A plain MP4 (index at the end) cannot be read from a socket: END says so and how to remux.
    func testPlainMP4GetsTheStreamableContainerHint() throws {
        let vtok = try binary()
        let model = Self.root.appendingPathComponent("Tests/VtokEngineTests/Fixtures/tiny-model.safetensors").path
        let dir = temporaryDirectory()
        let clip = dir + "/clip.mp4"
        let ff = Process()
        ff.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ff.arguments = ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25",
                        "-frames:v", "50", "-pix_fmt", "yuv420p", "-c:v", "mpeg4", clip]
        try ff.run()
        ff.waitUntilExit()
        let media = Array(try Data(contentsOf: URL(fileURLWithPath: clip)))
        let notify = try NotifyListener(path: dir + "/notify")
        let daemon = try ChildDaemon(executable: vtok, arguments: [
            "serve", "--socket", dir + "/vtok.sock", "--model", model, "--size", "64x48"],
            environment: ["NOTIFY_SOCKET": dir + "/notify"])
        XCTAssertNotNil(notify.until("READY=1"), daemon.log)
        let (events, complete) = decode(try TestClient(path: dir + "/vtok.sock").exchange(media))
        XCTAssertTrue(complete)
        let end = endInfo(events)
        XCTAssertEqual(end?.reason, .inputError)
        XCTAssertFalse(end?.message.contains("pipe:") ?? true, end?.message ?? "")
        XCTAssertTrue(end?.message.contains("streamable") ?? false, end?.message ?? "")
        daemon.terminate()
        XCTAssertEqual(daemon.exitStatus(timeout: 20), 0, daemon.log)
    }
}
