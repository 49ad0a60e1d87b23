// The daemon as a real process: SIGTERM mid-stream, sd_notify through a NOTIFY_SOCKET the test binds, and
// socket activation through systemd-socket-activate. The process is this test binary re-run as a daemon
// (DaemonChild below) with the fake pipeline, so these run before and without the vtok binary.
import Foundation
import Glibc
import Logging
import XCTest
@testable import VtokServer
import VtokStream

/// Runs only as the child: VTOK_TEST_CHILD=1 turns this test into a daemon that exits the process.
final class DaemonChild: XCTestCase {
    func testRunAsChildDaemon() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["VTOK_TEST_CHILD"] == "1" else { return }
        var config = ServerConfiguration()
        config.socketPath = env["VTOK_TEST_SOCKET"]
        config.liveSource = env["VTOK_TEST_LIVE"]
        config.statusInterval = 0.2
        config.stopGrace = 3
        config.metricsSocketPath = env["VTOK_TEST_METRICS"]
        if let v = env["VTOK_TEST_IDLE"].flatMap(Double.init) { config.limits.idleTimeout = v }
        if let v = env["VTOK_TEST_WRITE_TIMEOUT"].flatMap(Double.init) { config.limits.writeTimeout = v }
        if let v = env["VTOK_TEST_MAX_SESSIONS"].flatMap(Int.init) { config.maxSessions = v }
        let factory = FakeSourceFactory(frameDelay: Double(env["VTOK_TEST_FRAME_DELAY"] ?? "0") ?? 0)
        let logger = Logger(label: "vtok") { JournalLogHandler(label: $0, level: .info) }
        do {
            let server = try Server(configuration: config, factory: factory, logger: logger)
            server.shutdownSignal.installHandlers()
            exit(try server.run())
        } catch {
            logger.critical("\(error)")
            exit(70)
        }
    }
}

/// A child daemon process and its stderr.
final class ChildDaemon {
    let process = Process()
    let stderr = Pipe()

    init(executable: String? = nil, arguments: [String] = [], environment: [String: String]) throws {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        process.executableURL = URL(fileURLWithPath: executable ?? me)
        process.arguments = executable == nil ? ["VtokServerTests.DaemonChild/testRunAsChildDaemon"] : arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LISTEN_") && $0.key != "NOTIFY_SOCKET" }
        env["VTOK_TEST_CHILD"] = "1"
        env.merge(environment) { $1 }
        process.environment = env
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    func terminate() { kill(process.processIdentifier, SIGTERM) }

    /// The exit status, or nil if it did not exit within `timeout` (then it is killed).
    func exitStatus(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        guard !process.isRunning else {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    var log: String { String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self) }
}

final class DaemonProcessTests: XCTestCase {
    func testSigtermMidStreamSendsShutdownEndAndExitsZero() throws {
        let dir = temporaryDirectory()
        let notify = try NotifyListener(path: dir + "/notify")
        let child = try ChildDaemon(environment: [
            "VTOK_TEST_SOCKET": dir + "/vtok.sock", "VTOK_TEST_FRAME_DELAY": "0.01",
            "NOTIFY_SOCKET": dir + "/notify", "WATCHDOG_USEC": "200000"])
        let ready = notify.until("READY=1")
        XCTAssertNotNil(ready, "READY=1 once the socket is open")
        XCTAssertTrue(ready?.last?.contains("MAINPID=\(child.process.processIdentifier)") ?? false)
        XCTAssertNotNil(notify.until("WATCHDOG=1"), "WATCHDOG=1 at half of WATCHDOG_USEC")

        let media = fakeMedia(frames: 400)
        let clients = try (0..<3).map { _ in try TestClient(path: dir + "/vtok.sock") }
        for c in clients { c.send(media) }          // no half-close: still streaming when SIGTERM comes
        XCTAssertNotNil(notify.until("STATUS=3 sessions"), "STATUS= counts the sessions")
        usleep(300_000)
        child.terminate()
        XCTAssertNotNil(notify.until("STOPPING=1"))
        for c in clients {
            let (events, complete) = decode(c.read())
            XCTAssertTrue(complete)
            XCTAssertEqual(endInfo(events)?.reason, .shutdown)
            let frames = endInfo(events)?.framesIn ?? 0
            XCTAssertTrue(frames > 0 && frames < 400 && (frames - 1) % 4 == 0, "stopped at a whole latent frame: \(frames)")
        }
        XCTAssertEqual(child.exitStatus(timeout: 10), 0, child.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/vtok.sock"), "the socket file is removed")
    }

    func testSocketActivationThroughSystemdSocketActivate() throws {
        let tool = "/usr/bin/systemd-socket-activate"
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("systemd-socket-activate not installed") }
        let dir = temporaryDirectory()
        let path = dir + "/activated.sock"
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let child = try ChildDaemon(executable: tool, arguments: [
            "-l", path, "--fdname=vtok", "-E", "VTOK_TEST_CHILD=1",
            me, "VtokServerTests.DaemonChild/testRunAsChildDaemon"], environment: [:])
        let media = fakeMedia(frames: 13)
        let client = try TestClient(path: path)    // the first connection starts the daemon
        XCTAssertEqual(client.exchange(media), try referenceStream(for: media))
        let second = try TestClient(path: path)
        XCTAssertEqual(second.exchange(media), try referenceStream(for: media))
        child.terminate()
        XCTAssertEqual(child.exitStatus(timeout: 10), 0)
        let log = child.log
        XCTAssertTrue(log.contains("using socket from systemd"), log)
        XCTAssertTrue(log.contains("<5>vtok: ready"), "journald priority prefixes on stderr: \(log)")
    }

    func testGarbageAndVanishingClientsNeverKillTheProcess() throws {
        let dir = temporaryDirectory()
        let child = try ChildDaemon(environment: ["VTOK_TEST_SOCKET": dir + "/vtok.sock"])
        for i in 0..<10 {
            let c = try TestClient(path: dir + "/vtok.sock")
            c.send(i % 2 == 0 ? Array(repeating: 0xFF, count: 10_000) : Array(fakeMedia(frames: 30).prefix(700)))
            // and vanish without reading: the daemon's writes hit EPIPE, never SIGPIPE
        }
        // The vanished clients' sessions wind down on their own; until then a newcomer may be told "busy".
        let media = fakeMedia(frames: 21)
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            out = try TestClient(path: dir + "/vtok.sock").exchange(media)
            if endInfo(decode(out).events)?.message.hasPrefix("busy") == true { usleep(100_000) } else { break }
        } while Date() < deadline
        XCTAssertEqual(out, try referenceStream(for: media))
        XCTAssertTrue(child.process.isRunning)
        child.terminate()
        XCTAssertEqual(child.exitStatus(timeout: 10), 0)
    }
}
