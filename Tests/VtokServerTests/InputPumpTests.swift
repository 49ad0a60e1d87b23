// The input pump's clocks: idle time and the input rate count only time spent waiting for the client, never
// time the pump spends blocked on a pipeline slower than the input (found by the storm: slow-engine sessions
// were cut as "stalled").
import Foundation
import Glibc
import XCTest
@testable import VtokServer

final class InputPumpTests: XCTestCase {
    func testTimeBlockedOnThePipelineIsNotIdleTime() throws {
        var pair: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair), 0)
        let client = pair[1]
        defer { close(client) }
        // 64 KiB fill the pipe; the rest is read before the pump blocks writing it.
        let media = [UInt8](repeating: 1, count: 64 * 1024 + 10_000)
        let drained = DispatchSemaphore(value: 0)
        Thread {
            _ = media.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            drained.wait()
            usleep(100_000)               // well within the idle timeout, counted from the drain
            var b: UInt8 = 2
            _ = send(client, &b, 1, Int32(MSG_NOSIGNAL))
            shutdown(client, Int32(SHUT_WR))
        }.start()
        usleep(50_000)

        let pump = try InputPump(connection: Connection(fd: pair[0]))
        let limits = SessionLimits(maxSessionSeconds: nil, idleTimeout: 0.3, minInputRate: 50_000, rateWindow: 0.3)
        pump.start(rules: InputPump.Rules(limits: limits, started: monotonicSeconds()), shutdown: try ShutdownSignal(),
                   metrics: Metrics())
        usleep(700_000)                   // the pipeline reads nothing for longer than the idle timeout
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        var signalled = false
        while true {
            let n = buffer.withUnsafeMutableBytes { read(pump.readFD, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            total += n
            if !signalled && total >= media.count { signalled = true; drained.signal() }
        }
        pump.wait()
        close(pump.readFD)
        XCTAssertEqual(pump.cause, .endOfInput, "cut as \(String(describing: pump.cause))")
        XCTAssertEqual(total, media.count + 1)
    }
}
