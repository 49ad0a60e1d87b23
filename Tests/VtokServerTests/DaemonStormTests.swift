// Daemon storms against a real process (issue 14), with bounded counts so that they run in CI: abrupt,
// garbage, never-reading and silent clients, connections beyond --max-sessions, while a good session runs;
// the daemon's open descriptors and RSS before and after must match within a small bound. Then SIGHUP,
// SIGTERM mid-stream, and kill -9 followed by a restart on the same socket path.
import Foundation
import Glibc
import XCTest
@testable import VtokServer
import VtokStream

/// Open descriptors and resident memory of a process, from /proc.
struct ProcessUsage: CustomStringConvertible {
    var descriptors: Int
    var residentBytes: Int

    init?(pid: pid_t) {
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"),
              let statm = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        descriptors = fds.count
        residentBytes = pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    var description: String { "\(descriptors) fds, \(String(format: "%.1f", Double(residentBytes) / 1_048_576)) MB RSS" }
}

final class DaemonStormTests: XCTestCase {
    private let maxSessions = 12

    private func startDaemon(_ dir: String, frameDelay: Double = 0) throws -> ChildDaemon {
        try ChildDaemon(environment: [
            "VTOK_TEST_SOCKET": dir + "/vtok.sock", "VTOK_TEST_METRICS": dir + "/metrics.sock",
            "VTOK_TEST_IDLE": "0.5", "VTOK_TEST_WRITE_TIMEOUT": "0.5", "VTOK_TEST_MAX_SESSIONS": "\(maxSessions)",
            "VTOK_TEST_FRAME_DELAY": "\(frameDelay)"])
    }

    private func metrics(_ dir: String) -> String {
        guard let c = try? TestClient(path: dir + "/metrics.sock") else { return "" }
        return String(decoding: c.read(), as: UTF8.self)
    }

    /// Waits until the daemon has no session left (its metrics say so).
    private func settle(_ dir: String) -> Bool {
        waitFor(seconds: 15) { metrics(dir).contains("vtok_sessions_active 0\n") }
    }

    /// One round of hostile clients while a good session streams; returns the good session's output.
    private func storm(_ dir: String, round: Int) throws -> (good: [UInt8], expected: [UInt8]) {
        let path = dir + "/vtok.sock"
        let goodMedia = fakeMedia(frames: 301, seed: round + 3)
        let good = try TestClient(path: path)
        let goodOut = Box<[UInt8]>()
        let goodThread = Thread { goodOut.set(good.exchange(goodMedia)) }
        goodThread.start()

        // 50 abrupt clients: half vanish mid-upload, half mid-download.
        for i in 0..<50 {
            guard let c = try? TestClient(path: path) else { continue }
            if i % 2 == 0 {
                c.send(Array(fakeMedia(frames: 40, seed: i).prefix(500 + i * 13)))
            } else {
                c.send(fakeMedia(frames: 30, seed: i))
                c.halfClose()
                _ = c.read(max: 80)
            }
        }
        // Garbage, closed without reading.
        for i in 0..<5 {
            let c = try TestClient(path: path)
            c.send((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* (i + 7)) })
        }
        XCTAssertTrue(settle(dir), "the abrupt clients' sessions end")
        // Never-reading clients: their sessions end at the write timeout.
        var neverReading: [TestClient] = []
        let media = fakeMedia(frames: 30_000)      // made before connecting: the idle timeout is 0.5 s
        for _ in 0..<3 {
            let c = try TestClient(path: path)
            var small: Int32 = 4096
            setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            Thread { c.send(media); c.halfClose() }.start()
            neverReading.append(c)
        }
        // Silent clients: cut at the idle timeout, with the idle message.
        let silent = try (0..<3).map { _ in try TestClient(path: path) }
        for c in silent {
            let (events, complete) = decode(c.read())
            XCTAssertTrue(complete)
            XCTAssertEqual(endInfo(events)?.message, "no input for 0.5 s")
        }
        XCTAssertTrue(settle(dir), "the never-reading and silent clients' sessions end")
        neverReading.removeAll()
        XCTAssertTrue(waitFor(seconds: 20) { goodOut.get() != nil })
        // Beyond --max-sessions: holders fill the slots, extras are refused with a lone END.
        var holders: [TestClient] = []
        for _ in 0..<maxSessions {
            let h = try TestClient(path: path)
            h.send(FakeSourceFactory.magic)
            holders.append(h)
        }
        XCTAssertTrue(waitFor { metrics(dir).contains("vtok_sessions_active \(maxSessions)\n") })
        for _ in 0..<5 {
            let extra = try TestClient(path: path)
            let (events, complete) = decode(extra.read())
            XCTAssertTrue(complete)
            XCTAssertEqual(endInfo(events)?.reason, .limitExceeded)
        }
        for h in holders { h.halfClose() }
        holders.removeAll()
        return (goodOut.get() ?? [], try referenceStream(for: goodMedia))
    }

    func testStormsLeaveDescriptorsAndMemoryAsTheyWere() throws {
        let dir = temporaryDirectory()
        let child = try startDaemon(dir)
        defer { if child.process.isRunning { kill(child.process.processIdentifier, SIGKILL) } }
        let pid = child.process.processIdentifier
        // Warm-up: the first round grows thread stacks, allocator arenas and caches to their working size.
        let warm = try storm(dir, round: 0)
        XCTAssertEqual(warm.good, warm.expected, "the good session's stream is unchanged by the storm")
        XCTAssertTrue(settle(dir))
        let before = try XCTUnwrap(ProcessUsage(pid: pid))
        for round in 1...2 {
            let r = try storm(dir, round: round)
            XCTAssertEqual(r.good, r.expected, "round \(round): the good session's stream is unchanged")
        }
        XCTAssertTrue(settle(dir))
        usleep(200_000)
        let after = try XCTUnwrap(ProcessUsage(pid: pid))
        print("storm: before \(before), after \(after)")
        XCTAssertEqual(after.descriptors, before.descriptors, "no descriptor leaks: before \(before), after \(after)")
        XCTAssertLessThan(abs(after.residentBytes - before.residentBytes), 8 << 20, "RSS: before \(before), after \(after)")
        XCTAssertTrue(child.process.isRunning)
        let text = metrics(dir)
        XCTAssertTrue(text.contains("reason=\"writeTimeout\"} 9"), "3 never-reading clients a round:\n\(text)")
        XCTAssertTrue(text.contains("reason=\"stalled\"} 9"), "3 silent clients a round:\n\(text)")
        XCTAssertTrue(text.contains("vtok_sessions_refused_total 15"), text)
        child.terminate()
        XCTAssertEqual(child.exitStatus(timeout: 10), 0, child.log)
    }

    func testSighupSendsShutdownEndToEveryClientAndExitsZero() throws {
        let dir = temporaryDirectory()
        let child = try startDaemon(dir, frameDelay: 0.002)
        let media = fakeMedia(frames: 40_000)
        let clients = try (0..<3).map { _ in try TestClient(path: dir + "/vtok.sock") }
        let outputs = clients.map { _ in Box<[UInt8]>() }
        for (c, out) in zip(clients, outputs) {
            Thread { c.send(media) }.start()         // still sending when SIGHUP comes
            Thread { out.set(c.read()) }.start()
        }
        XCTAssertTrue(waitFor { metrics(dir).contains("vtok_sessions_active 3\n") })
        usleep(200_000)
        kill(child.process.processIdentifier, SIGHUP)
        for out in outputs {
            XCTAssertTrue(waitFor(seconds: 10) { out.get() != nil })
            let (events, complete) = decode(out.get() ?? [])
            XCTAssertTrue(complete, "a whole stream, ending in END")
            XCTAssertEqual(endInfo(events)?.reason, .shutdown)
        }
        XCTAssertEqual(child.exitStatus(timeout: 10), 0, "SIGHUP stops like SIGTERM (not death by signal, 129)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/vtok.sock"), "the socket file is removed")
        XCTAssertTrue(child.log.contains("signal=SIGHUP"), child.log)
    }

    func testKillNineThenRestartOnTheSameSocket() throws {
        let dir = temporaryDirectory()
        let first = try startDaemon(dir)
        let media = fakeMedia(frames: 40_000)
        let client = try TestClient(path: dir + "/vtok.sock")
        Thread { client.send(media) }.start()
        _ = client.read(max: 100)
        kill(first.process.processIdentifier, SIGKILL)
        let (_, complete) = decode(client.read())
        XCTAssertFalse(complete, "a killed daemon cannot end its streams; the reader sees it")
        _ = first.exitStatus(timeout: 5)
        XCTAssertEqual(first.process.terminationReason, .uncaughtSignal)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/vtok.sock"), "kill -9 leaves the socket file")

        let second = try startDaemon(dir)
        let small = fakeMedia(frames: 57, seed: 5)
        let out = try TestClient(path: dir + "/vtok.sock", timeout: 10).exchange(small)
        XCTAssertEqual(out, try referenceStream(for: small), "the restarted daemon replaced the stale socket and serves")
        second.terminate()
        XCTAssertEqual(second.exitStatus(timeout: 10), 0, second.log)
    }
}
