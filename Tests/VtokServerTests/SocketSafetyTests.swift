// What the daemon may do to the paths it is given (issue 14): replace only a stale socket, never a regular file,
// a link or a live socket; write --metrics-file without following planted links; refuse access options that
// an abstract socket cannot honour.
import Foundation
import Glibc
import Logging
import XCTest
@testable import VtokServer

final class SocketSafetyTests: XCTestCase {
    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private func contents(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func testRegularFileAtSocketPathIsRefusedAndKept() throws {
        let path = temporaryDirectory() + "/precious.txt"
        try write("data\n", to: path)
        XCTAssertThrowsError(try Listener.bind(path: path, mode: 0o660, group: nil)) { error in
            guard case ServerError.notASocket(let p, let kind)? = error as? ServerError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertEqual(kind, "a regular file")
            XCTAssertTrue("\(error)".contains("refusing to replace it"), "\(error)")
        }
        XCTAssertEqual(contents(path), "data\n", "the file must survive")
    }

    func testSymbolicLinkAndDirectoryAtSocketPathAreRefused() throws {
        let dir = temporaryDirectory()
        try write("data\n", to: dir + "/target")
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.sock", withDestinationPath: dir + "/target")
        XCTAssertThrowsError(try Listener.bind(path: dir + "/link.sock", mode: 0o660, group: nil))
        XCTAssertNotNil(try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/link.sock"), "the link stays")
        XCTAssertEqual(contents(dir + "/target"), "data\n")
        try FileManager.default.createDirectory(atPath: dir + "/d.sock", withIntermediateDirectories: false)
        XCTAssertThrowsError(try Listener.bind(path: dir + "/d.sock", mode: 0o660, group: nil))
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/d.sock", isDirectory: &isDir) && isDir.boolValue)
    }

    func testLiveSocketIsRefusedAndStaleSocketReplaced() throws {
        let path = temporaryDirectory() + "/vtok.sock"
        let live = try Listener.bind(path: path, mode: 0o600, group: nil)
        XCTAssertThrowsError(try Listener.bind(path: path, mode: 0o600, group: nil)) { error in
            guard case ServerError.socketInUse? = error as? ServerError else { return XCTFail("\(error)") }
        }
        // A socket file nobody listens on any more (a daemon killed with -9) is replaced.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let stalePath = temporaryDirectory() + "/stale.sock"
        let address = try UnixAddress(path: stalePath)
        XCTAssertEqual(address.withSockaddr { Glibc.bind(stale, $0, $1) }, 0)
        close(stale)
        XCTAssertTrue(FileManager.default.fileExists(atPath: stalePath))
        let replaced = try Listener.bind(path: stalePath, mode: 0o600, group: nil)
        replaced.close()
        live.close()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testCloseLeavesAFileThatReplacedTheSocket() throws {
        let path = temporaryDirectory() + "/vtok.sock"
        let l = try Listener.bind(path: path, mode: 0o600, group: nil)
        unlink(path)
        try write("someone else's\n", to: path)
        l.close()
        XCTAssertEqual(contents(path), "someone else's\n")
    }

    func testServeOnRegularFileFailsWithOneClearErrorAndKeepsTheFile() throws {
        let dir = temporaryDirectory()
        for option in ["socket", "metrics"] {
            let precious = dir + "/precious-\(option).txt"
            try write("data\n", to: precious)
            var config = ServerConfiguration()
            config.socketPath = option == "socket" ? precious : dir + "/ok-\(option).sock"
            config.metricsSocketPath = option == "metrics" ? precious : nil
            let server = try Server(configuration: config, factory: FakeSourceFactory(), logger: Logger(label: "t"))
            XCTAssertThrowsError(try server.run()) { error in
                XCTAssertTrue("\(error)".contains("is a regular file, not a socket"), "\(error)")
            }
            XCTAssertEqual(contents(precious), "data\n", "--\(option) must not delete the file")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ok-\(option).sock"), "nothing left behind")
        }
    }

    func testAbstractSocketRefusesModeAndGroup() throws {
        for (mode, group) in [(mode_t(0o600), nil), (nil, "0"), (mode_t(0o660), "0")] as [(mode_t?, String?)] {
            var config = ServerConfiguration()
            config.socketPath = "@vtok-test-\(getpid())"
            config.socketMode = mode
            config.socketGroup = group
            XCTAssertThrowsError(try Server(configuration: config, factory: FakeSourceFactory(), logger: Logger(label: "t"))) {
                XCTAssertTrue("\($0)".contains("cannot protect the abstract socket"), "\($0)")
            }
        }
        var config = ServerConfiguration()
        config.socketPath = "@vtok-test-\(getpid())"
        XCTAssertNoThrow(try Server(configuration: config, factory: FakeSourceFactory(), logger: Logger(label: "t")),
                         "without access options an abstract socket is fine")
    }

    // MARK: --metrics-file

    func testMetricsFileDoesNotFollowALinkPlantedAtItsTemporaryName() throws {
        let dir = temporaryDirectory()
        let target = dir + "/root-only"
        try write("keep\n", to: target)
        let path = dir + "/metrics.prom"
        // The name the old code used: PATH.tmp.<pid>. Any planted name must fail to be opened, not be followed.
        try FileManager.default.createSymbolicLink(atPath: path + ".tmp.\(getpid())", withDestinationPath: target)
        try MetricsFile.write("vtok_up 1\n", to: path)
        XCTAssertEqual(contents(target), "keep\n", "the link's target is untouched")
        XCTAssertEqual(contents(path), "vtok_up 1\n")
        XCTAssertNotNil(try? FileManager.default.destinationOfSymbolicLink(atPath: path + ".tmp.\(getpid())"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("metrics.prom.tmp") }
        XCTAssertEqual(leftovers, ["metrics.prom.tmp.\(getpid())"], "no temporary file of ours is left")
    }

    func testMetricsFileReplacesALinkAtItsPathInsteadOfWritingThroughIt() throws {
        let dir = temporaryDirectory()
        try write("keep\n", to: dir + "/elsewhere")
        try FileManager.default.createSymbolicLink(atPath: dir + "/metrics.prom", withDestinationPath: dir + "/elsewhere")
        try MetricsFile.write("vtok_up 1\n", to: dir + "/metrics.prom")
        XCTAssertEqual(contents(dir + "/elsewhere"), "keep\n")
        XCTAssertNil(try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/metrics.prom"))
        XCTAssertEqual(contents(dir + "/metrics.prom"), "vtok_up 1\n")
    }

    func testMetricsFileRefusesAWorldWritableDirectoryWithoutStickyBit() throws {
        let dir = temporaryDirectory() + "/open"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        chmod(dir, 0o777)
        XCTAssertThrowsError(try MetricsFile.write("x\n", to: dir + "/metrics.prom")) {
            XCTAssertTrue("\($0)".contains("writable by every user and not sticky"), "\($0)")
        }
        var config = ServerConfiguration()
        config.socketPath = temporaryDirectory() + "/vtok.sock"
        config.metricsFilePath = dir + "/metrics.prom"
        let server = try Server(configuration: config, factory: FakeSourceFactory(), logger: Logger(label: "t"))
        XCTAssertThrowsError(try server.run(), "refused at start, not warned about every interval")
        chmod(dir, 0o1777)   // sticky, like /tmp: random name + O_EXCL is safe there
        XCTAssertNoThrow(try MetricsFile.write("x\n", to: dir + "/metrics.prom"))
        XCTAssertEqual(contents(dir + "/metrics.prom"), "x\n")
    }
}
