// Limits that end a session and what END says then (issue 14): a trickling client (minimum input rate, the
// default session time limit), a silent client (the idle message, not FFmpeg's), a client that reads nothing
// (counted as a write timeout, not as end of input), and the hint for a container a pipe cannot carry.
import Foundation
import Glibc
import XCTest
@testable import VtokServer
import VtokStream

final class SessionLimitTests: XCTestCase {
    /// Sends the magic, then one byte every `interval` seconds until the daemon closes, from a thread.
    private func trickle(_ client: TestClient, every interval: Double) -> Thread {
        let t = Thread {
            client.send(FakeSourceFactory.magic)
            for _ in 0..<400 {
                usleep(UInt32(interval * 1_000_000))
                var b: UInt8 = 7
                if Glibc.send(client.fd, &b, 1, Int32(MSG_NOSIGNAL)) != 1 { return }
            }
        }
        t.start()
        return t
    }

    func testDefaultsBoundEverySession() {
        let limits = SessionLimits()
        XCTAssertEqual(limits.maxSessionSeconds, 7200)
        XCTAssertEqual(limits.minInputRate, 256)
        XCTAssertEqual(limits.rateWindow, 30)
    }

    func testTricklingClientIsCutByTheMinimumInputRate() throws {
        // A byte every 0.2 s never trips the 1 s idle timeout; 5 B/s is below the 100 B/s minimum.
        let daemon = try InProcessDaemon {
            $0.limits.idleTimeout = 1
            $0.limits.minInputRate = 100
            $0.limits.rateWindow = 0.8
        }
        defer { daemon.stop() }
        let client = try TestClient(path: daemon.socketPath)
        let started = Date()
        _ = trickle(client, every: 0.2)
        let (events, complete) = decode(client.read())
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.reason, .limitExceeded)
        XCTAssertEqual(endInfo(events)?.message, "input slower than the minimum rate of 100 bytes/s over 0.8 s")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertTrue(waitFor { daemon.server.metrics.prometheusText().contains("reason=\"tooSlow\"} 1") })
    }

    func testSessionTimeLimitEndsATricklerThatKeepsTheRate() throws {
        let daemon = try InProcessDaemon {
            $0.limits.idleTimeout = 1
            $0.limits.minInputRate = nil
            $0.limits.maxSessionSeconds = 1
        }
        defer { daemon.stop() }
        let client = try TestClient(path: daemon.socketPath)
        let started = Date()
        _ = trickle(client, every: 0.3)
        let (events, complete) = decode(client.read())
        let took = Date().timeIntervalSince(started)
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.reason, .limitExceeded)
        XCTAssertEqual(endInfo(events)?.message, "session time limit of 1 s reached")
        XCTAssertTrue(took > 0.9 && took < 4, "\(took) s")
    }

    func testSessionTimeLimitWhileThePipelineWorks() throws {
        // Plenty of input, a slow pipeline: the time limit stops it at a latent frame, END(limitExceeded).
        let daemon = try InProcessDaemon(configure: { $0.limits.maxSessionSeconds = 0.5 },
                                         factory: FakeSourceFactory(frameDelay: 0.01))
        defer { daemon.stop() }
        let client = try TestClient(path: daemon.socketPath)
        let (events, complete) = decode(client.exchange(fakeMedia(frames: 400), halfClose: false))
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.reason, .limitExceeded)
        XCTAssertEqual(endInfo(events)?.message, "session time limit of 0.5 s reached")
        let frames = endInfo(events)?.framesIn ?? 0
        XCTAssertTrue(frames > 0 && frames < 400, "\(frames)")
    }

    func testSilentClientGetsTheIdleMessage() throws {
        let daemon = try InProcessDaemon { $0.limits.idleTimeout = 0.3 }
        defer { daemon.stop() }
        let client = try TestClient(path: daemon.socketPath)   // connects and sends nothing at all
        let (events, complete) = decode(client.read())
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.reason, .inputError)
        XCTAssertEqual(endInfo(events)?.message, "no input for 0.3 s")
    }

    func testClientThatReadsNothingIsCountedAsWriteTimeout() throws {
        let daemon = try InProcessDaemon { $0.limits.writeTimeout = 0.3 }
        defer { daemon.stop() }
        let client = try TestClient(path: daemon.socketPath)
        var small: Int32 = 4096
        setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let sender = Thread { client.send(fakeMedia(frames: 40_000)); client.halfClose() }
        sender.start()
        // Never read: the daemon's writes block, then time out.
        XCTAssertTrue(waitFor(seconds: 15) { daemon.server.metrics.prometheusText().contains("reason=\"writeTimeout\"} 1") },
                      daemon.server.metrics.prometheusText())
        let text = daemon.server.metrics.prometheusText()
        XCTAssertFalse(text.contains("reason=\"endOfInput\""), "a cut session is not an end of input:\n\(text)")
        XCTAssertFalse(text.contains("reason=\"inputError\""), text)
        XCTAssertEqual(daemon.server.metrics.snapshot.sessionsActive, 0)
    }

    func testPipeNamesBecomeTheConnectionWithAHintForPlainMP4() {
        let hinted = TokeniseSession.withPipeHint("no video frame could be decoded from 'pipe:8'")
        XCTAssertTrue(hinted.hasPrefix("no video frame could be decoded from the connection ("), hinted)
        XCTAssertTrue(hinted.contains("streamable"), hinted)
        XCTAssertTrue(hinted.contains("-f nut"), hinted)
        XCTAssertFalse(hinted.contains("pipe:8"))
        XCTAssertEqual(TokeniseSession.withPipeHint("frame limit of 10 reached"), "frame limit of 10 reached")
    }

    func testLimitsOutOfRangeAreRefused() {
        for change in [{ (c: inout ServerConfiguration) in c.limits.minInputRate = 0 },
                       { $0.limits.maxSessionSeconds = -1 }, { $0.limits.rateWindow = 0 }] {
            var config = ServerConfiguration()
            config.socketPath = temporaryDirectory() + "/x.sock"
            change(&config)
            XCTAssertNotNil(config.violation())
        }
    }
}

/// Polls `condition` every 20 ms for up to `seconds`.
func waitFor(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

final class SlowReaderTests: XCTestCase {
    /// A live client that reads a little now and then must not hold its slot: one packet must be taken within
    /// the write timeout (SO_SNDTIMEO per write, and a total deadline per packet for writes that make some
    /// progress). A guard: it also passed before the per-packet deadline, as Linux frees a Unix socket's
    /// buffer a whole packet at a time, so such writes make no progress and SO_SNDTIMEO fires.
    func testLiveClientReadingALittleNowAndThenIsDisconnected() throws {
        let daemon = try InProcessDaemon {
            $0.liveSource = "fake-live:1500:2:64"           // 8 KiB packets, about 3 s in all
            $0.limits.writeTimeout = 0.5
        }
        let slow = try TestClient(path: daemon.socketPath)
        var small: Int32 = 2048
        setsockopt(slow.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let fast = try TestClient(path: daemon.socketPath)
        let fastOut = Box<[UInt8]>()
        Thread { fastOut.set(fast.read()) }.start()
        let stop = Box<Bool>()
        Thread {
            var buf = [UInt8](repeating: 0, count: 512)
            while stop.get() == nil, recv(slow.fd, &buf, buf.count, 0) > 0 {
                usleep(100_000)                              // ~5 kB/s: an 8 KiB packet takes 1.6 s
            }
        }.start()
        defer { stop.set(true) }
        // The daemon drops the slow client (its buffered bytes still reach it) while the source runs on.
        let cut = waitFor(seconds: 20) { daemon.server.metrics.snapshot.broadcastClients == 1 || fastOut.get() != nil }
        XCTAssertTrue(cut && fastOut.get() == nil, "the slow reader was disconnected while the stream went on")
        XCTAssertTrue(waitFor(seconds: 20) { fastOut.get() != nil })
        let (events, complete) = decode(fastOut.get() ?? [])
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.framesIn, 1500, "the fast client is not disturbed")
        XCTAssertEqual(daemon.wait(timeout: 10), 0)
    }
}
