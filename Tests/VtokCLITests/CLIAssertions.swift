// How a CLI run must look: success is silent; a failure is one `vtok:` line and FFmpeg's own log at most;
// frame times compared within a tolerance.
import Foundation
import XCTest
import VtokTestSupport

extension CLITestCase {
    /// A run that worked: status 0, no signal, nothing on stderr (it is a file here, not a terminal).
    func assertSuccess(_ r: ProcessResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(r.timedOut, "timed out: \(r.command)", file: file, line: line)
        XCTAssertFalse(r.signalled, "killed by a signal: \(r.summary)", file: file, line: line)
        XCTAssertEqual(r.status, 0, r.summary, file: file, line: line)
        XCTAssertEqual(r.stderr, "", "stderr must stay empty on success: \(r.command)", file: file, line: line)
    }

    /// A run that failed (or warned) properly: the exit status, no signal, and one `vtok:` line on stderr that
    /// contains `mentions`. Anything else on stderr must be FFmpeg's own log, not another message of ours.
    func assertReported(_ r: ProcessResult, status: Int32, mentions: String, file: StaticString = #filePath,
                        line: UInt = #line) {
        XCTAssertFalse(r.timedOut, "timed out: \(r.command)", file: file, line: line)
        XCTAssertFalse(r.signalled, "killed by a signal: \(r.summary)", file: file, line: line)
        XCTAssertEqual(r.status, status, r.summary, file: file, line: line)
        XCTAssertEqual(r.vtokLines.count, 1, "exactly one 'vtok:' line expected: \(r.summary)", file: file, line: line)
        XCTAssertTrue(r.vtokLines.first?.lowercased().contains(mentions.lowercased()) ?? false,
                      "'\(mentions)' expected in: \(r.vtokLines)", file: file, line: line)
        for l in r.stderrLines where !l.hasPrefix("vtok:") {
            XCTAssertTrue(Self.isFFmpegLogLine(l), "unexpected stderr line '\(l)': \(r.command)", file: file, line: line)
        }
    }

    /// FFmpeg's library log: "[matroska,webm @ 0x55...] message" and its "Last message repeated" summaries.
    static func isFFmpegLogLine(_ l: String) -> Bool {
        (l.hasPrefix("[") && l.contains(" @ 0x")) || l.trimmingCharacters(in: .whitespaces).hasPrefix("Last message repeated")
    }
}

func assertTimesEqual(_ a: [Double], _ b: [Double], accuracy: Double = 1e-3, _ message: String = "",
                      file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "frame count \(message): \(a) vs \(b)", file: file, line: line)
    for (x, y) in zip(a, b) where abs(x - y) > accuracy {
        return XCTFail("timestamps differ \(message): \(a) vs \(b)", file: file, line: line)
    }
}
