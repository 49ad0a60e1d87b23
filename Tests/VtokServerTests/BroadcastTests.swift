// The live source: every client gets the header and then live packets; a late joiner starts at the next
// packet; a slow client loses whole packets (counted, DISCONTINUITY on the next) without slowing the others.
import Foundation
import Glibc
import XCTest
@testable import VtokServer
import VtokStream

final class BroadcastTests: XCTestCase {
    func testLateJoinerGetsHeaderThenLivePackets() throws {
        let daemon = try InProcessDaemon { $0.liveSource = "fake-live:60:10" }
        let first = try TestClient(path: daemon.socketPath)
        usleep(250_000)
        let late = try TestClient(path: daemon.socketPath)
        let (a, b) = (first.read(), late.read())
        XCTAssertEqual(daemon.wait(timeout: 15), 0, "a live source that ends normally stops the daemon with 0")

        let (eventsA, completeA) = decode(a)
        XCTAssertTrue(completeA)
        XCTAssertFalse(eventsA.contains { if case .discontinuity = $0 { return true } else { return false } })
        XCTAssertEqual(endInfo(eventsA)?.framesIn, 60)

        let (eventsB, completeB) = decode(b)
        XCTAssertTrue(completeB)
        guard case .header = eventsB.first else { return XCTFail("a late joiner starts with the HEADER") }
        XCTAssertFalse(eventsB.contains { if case .discontinuity = $0 { return true } else { return false } },
                       "joining is not a loss: the header is renumbered to sit right before the next packet")
        let tokensB = eventsB.compactMap { if case .tokens(let f) = $0 { return f } else { return nil } }
        XCTAssertGreaterThan(tokensB.first?.latentIndex ?? 0, 0, "the late joiner starts mid-stream")
        let tokensA = eventsA.compactMap { if case .tokens(let f) = $0 { return f } else { return nil } }
        XCTAssertEqual(Array(tokensA.suffix(tokensB.count)), tokensB, "then every packet the first client got")
    }

    func testSlowClientDropsWholePacketsWithoutStallingOthers() throws {
        // 64x64 tokens = 8 KiB per packet; the slow client reads nothing for a while.
        let daemon = try InProcessDaemon {
            $0.liveSource = "fake-live:400:3:64"
            $0.clientQueuePackets = 16
        }
        let slow = try TestClient(path: daemon.socketPath)
        var small: Int32 = 4096
        setsockopt(slow.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        let fast = try TestClient(path: daemon.socketPath)
        let fastResult = Box<[UInt8]>()
        let reader = Thread { fastResult.set(fast.read()) }
        reader.start()
        // The slow client reads nothing until the fast one has the whole stream.
        let deadline = Date().addingTimeInterval(20)
        while fastResult.get() == nil && Date() < deadline { usleep(10_000) }
        let slowBytes = slow.read()
        XCTAssertEqual(daemon.wait(timeout: 20), 0)

        let (fastEvents, fastComplete) = decode(fastResult.get() ?? [])
        XCTAssertTrue(fastComplete)
        XCTAssertEqual(endInfo(fastEvents)?.framesIn, 400)
        XCTAssertFalse(fastEvents.contains { if case .discontinuity = $0 { return true } else { return false } },
                       "the fast client lost nothing")

        let (slowEvents, slowComplete) = decode(slowBytes)
        XCTAssertTrue(slowComplete, "the slow client still gets a well-formed stream ending in END")
        XCTAssertTrue(slowEvents.contains { if case .discontinuity = $0 { return true } else { return false } })
        XCTAssertTrue(hasFlaggedPacket(slowBytes), "a packet after the drop carries the DISCONTINUITY flag")
        XCTAssertGreaterThan(daemon.server.metrics.snapshot.droppedPackets, 0)
        XCTAssertTrue(daemon.server.metrics.prometheusText().contains("vtok_dropped_packets_total"))
    }

    func testShutdownEndsLiveClientsWithShutdownReason() throws {
        let daemon = try InProcessDaemon { $0.liveSource = "fake-live:100000:5" }
        let client = try TestClient(path: daemon.socketPath)
        _ = client.read(max: 200)
        XCTAssertEqual(daemon.stop(), 0)
        let (events, _) = decode(client.read())
        XCTAssertEqual(endInfo(events)?.reason, .shutdown)
    }

    private func hasFlaggedPacket(_ bytes: [UInt8]) -> Bool {
        var at = 0
        while let parsed = PacketHeader.parse(bytes, at: at), case .success(let h) = parsed {
            if h.flags.contains(.discontinuity) { return true }
            at += StreamFormat.packetOverhead + Int(h.length)
        }
        return false
    }
}

final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T? { lock.lock(); defer { lock.unlock() }; return value }
}
