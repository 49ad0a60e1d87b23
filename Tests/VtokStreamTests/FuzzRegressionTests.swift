// Replays Tests/Fixtures/fuzz/stream/ (hand-made reproductions and any crash scripts/fuzz.sh found) through the
// reader as the libFuzzer target does (Fuzz/StreamReaderFuzz.swift): no trap, bounded work, every event valid.
import Foundation
import XCTest
import VtokTestSupport
@testable import VtokStream

final class StreamFuzzRegressionTests: XCTestCase {
    static let folder = TestPaths.fuzzFixtures("stream")

    func testEveryFixtureReadsWithinItsBounds() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).sorted()
        XCTAssertGreaterThanOrEqual(files.count, 3)
        for name in files {
            let bytes = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(name)))
            guard let control = bytes.first else { continue }
            let chunk = [1, 7, 64, 997, 1 << 16, 3, 32, 4096][Int(control & 7)]
            for size in [chunk, 1, 1 << 16] {
                var r = StreamReader()
                var header: StreamHeader?
                var events = 0
                func drain() {
                    while true {
                        let e: StreamEvent?
                        do { e = try r.next() } catch { continue }
                        guard let e else { return }
                        events += 1
                        if case .header(let h) = e { XCTAssertNil(h.violation(), name); header = h }
                        if case .tokens(let t) = e, let header { XCTAssertNil(t.violation(against: header), name) }
                    }
                }
                var i = 1
                while i < bytes.count {
                    r.feed(bytes[i..<min(bytes.count, i + size)])
                    drain()
                    i += size
                }
                r.endInput()
                drain()
                _ = r.finish()
                XCTAssertLessThanOrEqual(r.checksummedBytes, 41 * bytes.count + 64, name)
                XCTAssertGreaterThan(events, 0, name)
            }
        }
    }
}
