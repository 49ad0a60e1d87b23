// The unit files in systemd/: `systemd-analyze verify` must print nothing, and the hardening stays SAFE.
import Foundation
import XCTest
import VtokTestSupport

final class SystemdUnitTests: XCTestCase {
    private let units = ["vtok.socket", "vtok.service", "vtok-camera@.service"]

    private var repoRoot: URL { TestPaths.root }

    /// Copies of the units whose ExecStart points at a stub that exists (verify checks the binary path).
    private func stagedUnits() throws -> URL {
        let dir = URL(fileURLWithPath: temporaryDirectory())
        let bin = dir.appendingPathComponent("bin/vtok")
        try FileManager.default.createDirectory(at: bin.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "#!/bin/sh\nexit 0\n".write(to: bin, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.path)
        for unit in units {
            let text = try String(contentsOf: repoRoot.appendingPathComponent("systemd/\(unit)"), encoding: .utf8)
            try text.replacingOccurrences(of: "/usr/local/bin/vtok", with: bin.path)
                .write(to: dir.appendingPathComponent(unit), atomically: true, encoding: .utf8)
        }
        return dir
    }

    private func run(_ arguments: [String], in dir: URL) throws -> (status: Int32, output: String) {
        let tool = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("systemd-analyze not installed") }
        let r = try ProcessRunner.run(tool, arguments, currentDirectory: dir.path, mergeStderr: true)
        return (r.status, r.stdoutText)
    }

    func testUnitsVerifyWithoutAnyOutput() throws {
        let dir = try stagedUnits()
        let r = try run(["verify", "vtok.socket", "vtok.service", "vtok-camera@video0.service"], in: dir)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(r.output, "", "systemd-analyze verify must print nothing")
    }

    func testServiceExposureStaysSafe() throws {
        let dir = try stagedUnits()
        for unit in ["vtok.service", "vtok-camera@.service"] {
            let r = try run(["security", "--offline=yes", dir.appendingPathComponent(unit).path], in: dir)
            guard let line = r.output.split(separator: "\n").first(where: { $0.contains("Overall exposure level") }),
                  let score = line.split(separator: ":").last?.split(separator: " ").first.flatMap({ Double($0) }) else {
                return XCTFail("no exposure level in: \(r.output)")
            }
            XCTAssertLessThanOrEqual(score, 1.0, "\(unit): \(line) (docs/operations.md records 0.4 and 0.8)")
        }
    }

    /// oneDNN generates code at run time: a unit that forbids that must run the OpenBLAS backend.
    func testUnitsLetTheirBackendGenerateCode() throws {
        for unit in ["vtok.service", "vtok-camera@.service"] {
            let text = try String(contentsOf: repoRoot.appendingPathComponent("systemd/\(unit)"), encoding: .utf8)
            let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let denies = lines.contains { $0.hasPrefix("MemoryDenyWriteExecute=") && $0.hasSuffix("yes") }
            let openblas = lines.contains { $0.hasPrefix("ExecStart=") && $0.contains("--backend openblas") }
            XCTAssertTrue(!denies || openblas, "\(unit): MemoryDenyWriteExecute=yes needs --backend openblas")
        }
    }

    func testMakefileInstallsTheUnitsToAPrefix() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/make") else { throw XCTSkip("make not installed") }
        let prefix = temporaryDirectory()
        let make = try ProcessRunner.run("/usr/bin/make", ["-s", "-C", repoRoot.path, "install-files", "PREFIX=\(prefix)", "BIN=/bin/true"])
        XCTAssertEqual(make.status, 0, make.summary)
        let unitDir = URL(fileURLWithPath: prefix + "/lib/systemd/system")
        let service = try String(contentsOf: unitDir.appendingPathComponent("vtok.service"), encoding: .utf8)
        XCTAssertTrue(service.contains("ExecStart=\(prefix)/bin/vtok serve"), "PREFIX is substituted")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: prefix + "/bin/vtok"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: prefix + "/share/doc/vtok/operations.md"))
        let r = try run(["verify", "vtok.socket", "vtok.service", "vtok-camera@video0.service"], in: unitDir)
        XCTAssertEqual(r.output, "", "the installed units verify cleanly")
    }
}
