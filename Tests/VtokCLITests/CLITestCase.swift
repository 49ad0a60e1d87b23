// The `vtok` binary as a user runs it: a scratch folder per test, and processes run to the end in it
// (VtokTestSupport's ProcessRunner, with the scratch files in the test's folder).
import Foundation
import Glibc
import XCTest
import VtokTestSupport

/// A scratch folder per test, removed afterwards.
class CLITestCase: XCTestCase {
    var dir = ""
    var vtok = ""

    override class func setUp() {
        super.setUp()
        signal(SIGPIPE, SIG_IGN)     // a child that stops reading its stdin must not kill the test runner
    }

    override func setUpWithError() throws {
        vtok = try CLI.binary()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtok-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if !dir.isEmpty { try? FileManager.default.removeItem(atPath: dir) }
    }

    func path(_ name: String) -> String { dir + "/" + name }

    /// Runs `executable` to the end. stdout and stderr go to files, so neither can fill a pipe and block.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], stdin: ProcessInput = .null, timeout: Double = 60,
             environment: [String: String]? = nil, currentDirectory: String? = nil) throws -> ProcessResult {
        try ProcessRunner.run(executable, arguments, stdin: stdin, timeout: timeout, environment: environment,
                              currentDirectory: currentDirectory, scratch: dir)
    }

    /// `vtok` with `arguments`.
    @discardableResult
    func vtok(_ arguments: [String], stdin: ProcessInput = .null, timeout: Double = 60) throws -> ProcessResult {
        try run(vtok, arguments, stdin: stdin, timeout: timeout)
    }

    /// `producer | consumer`, connected by a real pipe, both run to the end.
    func pipeline(_ producer: (String, [String]), _ consumer: (String, [String]), producerStdin: String? = nil,
                  timeout: Double = 60) throws -> (producer: ProcessResult, consumer: ProcessResult) {
        try ProcessRunner.pipeline(producer, consumer, producerStdin: producerStdin, timeout: timeout, scratch: dir)
    }

    /// Waits for `p`, killing it after `timeout` seconds; false when it had to be killed.
    func waitForExit(_ p: Process, timeout: Double) -> Bool { ProcessRunner.waitForExit(p, timeout: timeout) }

    func readBytes(_ file: String) throws -> [UInt8] { try ProcessRunner.readBytes(file) }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }
}
