// sd_notify datagrams to a socket the test binds (path and abstract), LISTEN_FDS parsing, journald log
// prefixes, the daemon's own END packets, and the metrics text, socket and file.
import Foundation
import Glibc
import Logging
import XCTest
@testable import VtokServer
import VtokStream

/// A datagram socket standing in for systemd's notify socket.
final class NotifyListener {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let address = try UnixAddress(path: path)
        guard address.withSockaddr({ bind(fd, $0, $1) }) == 0 else { throw ServerError.lastSystemError("bind", path) }
    }

    deinit { close(fd) }

    /// The next datagram, or nil after `timeout` seconds.
    func next(timeout: Double = 5) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
    }

    /// Datagrams until one contains `needle` (all of them, in order), or nil on timeout.
    func until(_ needle: String, timeout: Double = 10) -> [String]? {
        var seen: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        while let m = next(timeout: max(0.01, deadline.timeIntervalSinceNow)) {
            seen.append(m)
            if m.contains(needle) { return seen }
        }
        return nil
    }
}

final class SystemdProtocolTests: XCTestCase {
    func testNotifySendsToPathAndAbstractSockets() throws {
        let path = temporaryDirectory() + "/notify"
        let listener = try NotifyListener(path: path)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        notifier.ready(status: "ok\nsecond line")
        XCTAssertEqual(listener.next(), "READY=1\nMAINPID=\(getpid())\nSTATUS=ok second line")

        let name = "@vtok-test-\(getpid())-\(UUID().uuidString.prefix(6))"
        let abstract = try NotifyListener(path: name)
        SystemdNotifier(environment: ["NOTIFY_SOCKET": name]).watchdog()
        XCTAssertEqual(abstract.next(), "WATCHDOG=1")

        XCTAssertFalse(SystemdNotifier(environment: [:]).isEnabled)
        XCTAssertNil(SystemdNotifier(environment: [:]).notify("READY=1"), "no NOTIFY_SOCKET: a silent no-op")
    }

    func testWatchdogIntervalHonoursWatchdogPID() {
        XCTAssertEqual(SystemdNotifier(environment: ["WATCHDOG_USEC": "4000000"]).watchdogInterval, 2)
        XCTAssertEqual(SystemdNotifier(environment: ["WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "\(getpid())"]).watchdogInterval, 2)
        XCTAssertNil(SystemdNotifier(environment: ["WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"]).watchdogInterval)
        XCTAssertNil(SystemdNotifier(environment: ["WATCHDOG_USEC": "zero"]).watchdogInterval)
    }

    func testListenFDsParsing() throws {
        let me = getpid()
        XCTAssertNil(try SocketActivation.parse(environment: [:], pid: me))
        XCTAssertNil(try SocketActivation.parse(environment: ["LISTEN_PID": "1", "LISTEN_FDS": "1"], pid: me),
                     "variables meant for another process are ignored")
        let two = try SocketActivation.parse(environment: ["LISTEN_PID": "\(me)", "LISTEN_FDS": "2",
                                                            "LISTEN_FDNAMES": "vtok:metrics"], pid: me)
        XCTAssertEqual(two?.descriptors, [.init(fd: 3, name: "vtok"), .init(fd: 4, name: "metrics")])
        let unnamed = try SocketActivation.parse(environment: ["LISTEN_PID": "\(me)", "LISTEN_FDS": "1"], pid: me)
        XCTAssertEqual(unnamed?.descriptors, [.init(fd: 3, name: "unknown")])
        XCTAssertThrowsError(try SocketActivation.parse(environment: ["LISTEN_PID": "\(me)", "LISTEN_FDS": "x"], pid: me))
        XCTAssertThrowsError(try SocketActivation.parse(environment: ["LISTEN_PID": "-3", "LISTEN_FDS": "1"], pid: me))
    }

    func testAdoptRejectsANonListeningDescriptor() {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        XCTAssertThrowsError(try Listener.adopt(fd: fds[0], name: "x")) { error in
            guard case .system(let call, _, _)? = error as? ServerError else { return XCTFail("\(error)") }
            XCTAssertEqual(call, "getsockopt(SO_TYPE)", "the error names its C origin")
        }
    }

    func testJournalPrefixes() {
        let lines = Box<[String]>()
        lines.set([])
        let sink = JournalLogHandler.Sink { line in lines.set((lines.get() ?? []) + [line]) }
        var logger = Logger(label: "vtok") { JournalLogHandler(label: $0, level: .debug, sink: sink) }
        logger.logLevel = .debug
        logger.error("boom", metadata: ["fd": "3"])
        logger.warning("careful\nsecond")
        logger.debug("detail")
        XCTAssertEqual(lines.get(), ["<3>vtok: boom fd=3\n", "<4>vtok: careful second\n", "<7>vtok: detail\n"])
    }

    func testDaemonsOwnEndPacketReadsBack() {
        var tracker = StreamTracker()
        var w = try! StreamWriter(header: FakeSource.header(grid: (2, 2)))
        let head = w.beginPackets()
        let t0 = try! w.tokensPackets(pts: [0], tokens: [1, 2, 3, 4])
        let t1 = try! w.tokensPackets(pts: [1, 2, 3, 4], tokens: [1, 2, 3, 4])
        tracker.note(head + t0)
        tracker.note(t1)
        XCTAssertEqual((head + t0).count, 2)
        XCTAssertEqual(t1.count, 1)
        let end = tracker.endPacket(reason: .shutdown, message: "arrêt").bytes
        let official = w.endPacket(reason: .shutdown, message: "arrêt")
        XCTAssertEqual(end, official, "byte-identical to the StreamWriter's END at the same point")
        let busy = EndInfo(framesIn: 0, latentFramesOut: 0, reason: .limitExceeded, message: "busy")
        let (events, complete) = decode(Packet.end(busy, sequence: 0).bytes)
        XCTAssertTrue(complete)
        XCTAssertEqual(events, [.end(EndInfo(framesIn: 0, latentFramesOut: 0, reason: .limitExceeded, message: "busy"))])
    }

    func testPacketQueueDropsAndMarks() {
        var w = try! StreamWriter(header: FakeSource.header(grid: (1, 1)), headerRepeatInterval: 0)
        var packets = w.beginPackets()
        for i in 0..<6 {
            let pts: [Int64] = i == 0 ? [0] : (1...4).map { Int64(4 * i - 4 + $0) }
            packets += try! w.tokensPackets(pts: pts, tokens: [1])
        }
        packets += w.endPackets(reason: .endOfInput)
        let q = PacketQueue(capacity: 2)
        let kept = packets.map { q.push($0, emitted: 0) }
        // HEADER, T0 kept (2 queued), T1..T5 dropped, END kept: never dropped (§5.5).
        XCTAssertEqual(kept, [true, true, false, false, false, false, false, true])
        XCTAssertEqual(q.dropped, 5)
        q.close()
        var out = [UInt8]()
        while let item = q.pop() { out += item.bytes }
        let (events, complete) = decode(out)
        XCTAssertTrue(complete)
        XCTAssertTrue(events.contains(.discontinuity(sequence: 7, missing: 5)))
    }

    func testMetricsSocketAndFile() throws {
        let dir = temporaryDirectory()
        let daemon = try InProcessDaemon {
            $0.metricsSocketPath = dir + "/metrics.sock"
            $0.metricsFilePath = dir + "/vtok.prom"
            $0.metricsInterval = 0.2
        }
        defer { daemon.stop() }
        let media = fakeMedia(frames: 9)
        _ = try TestClient(path: daemon.socketPath).exchange(media)

        let http = try TestClient(path: dir + "/metrics.sock")
        http.send(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let response = String(decoding: http.read(), as: UTF8.self)
        XCTAssertTrue(response.hasPrefix("HTTP/1.0 200 OK\r\n"))
        XCTAssertTrue(response.contains("vtok_frames_total 9\n"))
        XCTAssertTrue(response.contains("vtok_latent_seconds_bucket{le=\"+Inf\"} 3\n"))

        let plain = String(decoding: try TestClient(path: dir + "/metrics.sock").read(), as: UTF8.self)
        XCTAssertTrue(plain.hasPrefix("# HELP vtok_sessions_active"), "a silent client gets the bare text")

        usleep(600_000)
        let file = try String(contentsOfFile: dir + "/vtok.prom", encoding: .utf8)
        XCTAssertTrue(file.contains("vtok_sessions_total 1\n"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/vtok.prom.tmp.\(getpid())"))
    }

    func testSocketModeAndStaleSocketReplacement() throws {
        let path = temporaryDirectory() + "/s.sock"
        let stale = try Listener.bind(path: path, mode: 0o600, group: nil)
        Glibc.close(stale.fd)                       // leaves the file behind, as a crashed daemon would
        let fresh = try Listener.bind(path: path, mode: 0o660, group: getgid())
        defer { fresh.close() }
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o660)
        XCTAssertThrowsError(try Listener.bind(path: path, mode: 0o660, group: nil), "a live socket is not stolen")
        XCTAssertThrowsError(try UnixAddress(path: String(repeating: "x", count: 200)))
    }
}
