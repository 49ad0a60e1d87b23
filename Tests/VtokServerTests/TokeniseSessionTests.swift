// Tokenise on connect, through real sockets: parallel clients, half-close, garbage, vanishing clients,
// refusal beyond --max-sessions, and the byte limit.
import Foundation
import Glibc
import XCTest
@testable import VtokServer
import VtokStream

final class TokeniseSessionTests: XCTestCase {
    func testParallelClientsGetTheSingleRunStream() throws {
        let daemon = try InProcessDaemon { $0.maxSessions = 8 }
        defer { daemon.stop() }
        let inputs = (0..<6).map { fakeMedia(frames: 9 + $0 * 5, seed: $0 + 1) }
        let expected = try inputs.map { try referenceStream(for: $0) }
        let collected = Box<[Int: [UInt8]]>()
        collected.set([:])
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
            guard let client = try? TestClient(path: daemon.socketPath) else { return }
            let out = client.exchange(inputs[i])
            lock.lock()
            collected.set((collected.get() ?? [:]).merging([i: out]) { $1 })
            lock.unlock()
        }
        let results = inputs.indices.map { collected.get()?[$0] ?? [] }
        for i in inputs.indices {
            XCTAssertEqual(results[i], expected[i], "client \(i): the daemon's stream differs from the single run")
            let (events, complete) = decode(results[i])
            XCTAssertTrue(complete)
            XCTAssertEqual(endInfo(events)?.reason, .endOfInput)
            XCTAssertEqual(endInfo(events)?.framesIn, 9 + i * 5)
        }
        XCTAssertEqual(daemon.server.metrics.snapshot.sessionsTotal, UInt64(inputs.count))
    }

    func testHalfClosedClientReceivesEveryToken() throws {
        let daemon = try InProcessDaemon()
        defer { daemon.stop() }
        let media = fakeMedia(frames: 33)
        let client = try TestClient(path: daemon.socketPath)
        client.send(media)          // everything first, then shutdown(SHUT_WR), then read
        client.halfClose()
        let out = client.read()
        XCTAssertEqual(out, try referenceStream(for: media))
        XCTAssertEqual(endInfo(decode(out).events)?.latentFramesOut, 1 + 8)
    }

    func testGarbageInputEndsOnlyThatSession() throws {
        let daemon = try InProcessDaemon()
        defer { daemon.stop() }
        let good = try TestClient(path: daemon.socketPath)
        let media = fakeMedia(frames: 20)
        good.send(Array(media.prefix(200)))    // a session in progress

        let bad = try TestClient(path: daemon.socketPath)
        let out = bad.exchange((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 131) })
        let (events, complete) = decode(out)
        XCTAssertTrue(complete, "garbage gets a well-formed stream: a lone END")
        XCTAssertEqual(endInfo(events)?.reason, .inputError)
        XCTAssertTrue(endInfo(events)?.message.contains("FAKEVID1") ?? false)

        good.send(Array(media.dropFirst(200)))
        good.halfClose()
        XCTAssertEqual(good.read(), try referenceStream(for: media))
        XCTAssertEqual(daemon.server.metrics.snapshot.errorsTotal, 1)
    }

    func testAbruptDisconnectsDoNotDisturbOthers() throws {
        let daemon = try InProcessDaemon(factory: FakeSourceFactory(frameDelay: 0.002))
        defer { daemon.stop() }
        for _ in 0..<5 {
            // Vanish mid-upload, and vanish mid-download.
            let a = try TestClient(path: daemon.socketPath)
            a.send(Array(fakeMedia(frames: 50).prefix(1000)))
            let b = try TestClient(path: daemon.socketPath)
            b.send(fakeMedia(frames: 40))
            b.halfClose()
            _ = b.read(max: 100)
        }
        let media = fakeMedia(frames: 12, seed: 7)
        let c = try TestClient(path: daemon.socketPath)
        XCTAssertEqual(c.exchange(media), try referenceStream(for: media))
        let deadline = Date().addingTimeInterval(10)
        while daemon.server.metrics.snapshot.sessionsActive > 0 && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(daemon.server.metrics.snapshot.sessionsActive, 0, "every vanished client's session ended")
    }

    func testConnectionsBeyondMaxSessionsAreRefusedWithBusyEnd() throws {
        let daemon = try InProcessDaemon { $0.maxSessions = 2 }
        defer { daemon.stop() }
        let holders = try (0..<2).map { _ in try TestClient(path: daemon.socketPath) }
        for h in holders { h.send(FakeSourceFactory.magic) }
        let deadline = Date().addingTimeInterval(5)
        while daemon.server.metrics.snapshot.sessionsActive < 2 && Date() < deadline { usleep(10_000) }
        let extra = try TestClient(path: daemon.socketPath)
        let (events, complete) = decode(extra.read())
        XCTAssertTrue(complete)
        XCTAssertEqual(events.count, 1)
        XCTAssertEqual(endInfo(events)?.reason, .limitExceeded)
        XCTAssertTrue(endInfo(events)?.message.hasPrefix("busy") ?? false)
        let counted = Date().addingTimeInterval(5)
        while daemon.server.metrics.snapshot.sessionsRefused == 0 && Date() < counted { usleep(10_000) }
        XCTAssertEqual(daemon.server.metrics.snapshot.sessionsRefused, 1)
        for h in holders { h.halfClose() }
    }

    func testByteLimitCutsTheInput() throws {
        let daemon = try InProcessDaemon { $0.limits.maxInputBytes = 8 + 64 * 10 }
        defer { daemon.stop() }
        let client = try TestClient(path: daemon.socketPath)
        let (events, complete) = decode(client.exchange(fakeMedia(frames: 100)))
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.framesIn, 10, "only the bytes within the limit were tokenised")
        XCTAssertEqual(endInfo(events)?.reason, .limitExceeded, "END says the daemon cut the input")
    }

    func testStalledClientIsCutOffAfterIdleTimeout() throws {
        let daemon = try InProcessDaemon { $0.limits.idleTimeout = 0.3 }
        defer { daemon.stop() }
        let client = try TestClient(path: daemon.socketPath)
        client.send(fakeMedia(frames: 5))      // and then nothing, without closing
        let (events, complete) = decode(client.read())
        XCTAssertTrue(complete)
        XCTAssertEqual(endInfo(events)?.framesIn, 5)
        XCTAssertEqual(endInfo(events)?.reason, .inputError)
        XCTAssertEqual(endInfo(events)?.message, "no input for 0.3 s")
    }
}
