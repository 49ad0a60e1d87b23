// Damaged data: many randomly corrupted copies of small clips. Every outcome must be frames or a
// MediaError; never a crash, a hang, or a non-monotonic pts.
import Foundation
import XCTest
import VtokTestSupport
@testable import VtokMedia

final class MediaReaderFuzzTests: XCTestCase {
    func testCorruptedCopiesNeverCrash() throws {
        let sources = [try Fixtures.mp4, try Fixtures.nut,
                       try Fixtures.testsrc("fuzz.mkv", extra: ["-c:v", "libx264", "-preset", "ultrafast", "-g", "5"])]
        var outcomes: [String: Int] = [:]
        for (n, source) in sources.enumerated() {
            let original = try Data(contentsOf: URL(fileURLWithPath: source))
            for seed in 0..<12 {
                var rng = SplitMix64(state: UInt64(seed * 100 + n))   // deterministic: a failure can be replayed
                var data = original
                for _ in 0..<(1 + seed % 6) {
                    let start = Int.random(in: 0..<data.count, using: &rng)
                    let length = min(Int.random(in: 1...64, using: &rng), data.count - start)
                    for i in start..<(start + length) { data[i] = UInt8.random(in: 0...255, using: &rng) }
                }
                if seed % 4 == 3 { data = data.prefix(Int.random(in: 0..<data.count, using: &rng)) }
                let path = try Fixtures.file("fuzz-\(n)-\(seed)." + (source as NSString).pathExtension, data)
                do {
                    let reader = try MediaReader(path: path, options: MediaReaderOptions(size: .source))
                    var last: Int64?
                    while let frame = try reader.nextFrame() {
                        if let last { XCTAssertGreaterThan(frame.pts, last, "\(path)") }
                        last = frame.pts
                        XCTAssertEqual(frame.pixels.count, frame.width * frame.height * 3)
                    }
                    outcomes["frames", default: 0] += 1
                } catch let error as MediaError {
                    outcomes[String("\(error)".prefix(12)), default: 0] += 1
                    XCTAssertFalse("\(error)".contains("\n"))
                }
            }
        }
        XCTAssertGreaterThan(outcomes["frames", default: 0], 0, "\(outcomes)")
    }
}
