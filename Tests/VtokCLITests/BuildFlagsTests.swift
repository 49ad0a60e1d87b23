// scripts/swift-cpu-flags.sh: the `swift build` arguments scripts/demo.sh and scripts/test.sh use. A CPU with
// the Haswell set (AVX2, FMA, BMI1/2, F16C, MOVBE) gets `-target-cpu haswell`; one without any of them, or
// VTOK_TARGET_CPU=generic, gets Swift's default (a portable binary); VTOK_TARGET_CPU=<cpu> is passed through.
import Foundation
import XCTest

final class BuildFlagsTests: CLITestCase {
    private func flags(cpuinfo: String, target: String? = nil) throws -> String {
        let info = path("cpuinfo")
        try cpuinfo.write(toFile: info, atomically: true, encoding: .utf8)
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "CPUINFO": info]
        if let target { env["VTOK_TARGET_CPU"] = target }
        let r = try run("/bin/bash", [CLI.root.appendingPathComponent("scripts/swift-cpu-flags.sh").path],
                        environment: env)
        XCTAssertEqual(r.status, 0, r.summary)
        return r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testTargetFollowsTheCPUFlags() throws {
        #if arch(x86_64)
        let zen3 = "processor\t: 0\nflags\t\t: fpu sse2 avx f16c bmi1 avx2 fma bmi2 movbe sha_ni\n"
        XCTAssertEqual(try flags(cpuinfo: zen3), "-Xswiftc -target-cpu -Xswiftc haswell")
        XCTAssertEqual(try flags(cpuinfo: zen3, target: "generic"), "", "the portable opt-out")
        XCTAssertEqual(try flags(cpuinfo: zen3, target: "znver3"), "-Xswiftc -target-cpu -Xswiftc znver3")
        // Sandy Bridge: AVX without AVX2 or FMA.
        XCTAssertEqual(try flags(cpuinfo: "flags\t\t: fpu sse2 avx popcnt\n"), "")
        // One flag short of the set ("avx2" must not be matched inside "avx512f" and the like).
        XCTAssertEqual(try flags(cpuinfo: "flags\t\t: avx avx512f fma bmi1 bmi2 f16c movbe\n"), "")
        XCTAssertEqual(try flags(cpuinfo: ""), "", "no flags line")
        #else
        throw XCTSkip("x86-64 only")
        #endif
    }
}
