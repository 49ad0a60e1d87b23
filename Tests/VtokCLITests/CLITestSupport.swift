// The `vtok` binary as a user runs it: processes, pipes, temporary files, clips made with the ffmpeg CLI, and
// the token stream read back with VtokStream's StreamReader.
import Foundation
import Glibc
import XCTest
import VtokStream

/// Where things are: the package root (from this file's path), the binary under test, the tiny model.
enum CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// Random weights in the release format (training/fixtures.py): any frame size that is a multiple of 8.
    static let tinyModel = root.appendingPathComponent("Tests/VtokEngineTests/Fixtures/tiny-model.safetensors").path
    static let releasedModel = root.appendingPathComponent("models/vtok-4x8x8.safetensors").path
    static let ffmpeg = "/usr/bin/ffmpeg"
    static let ffprobe = "/usr/bin/ffprobe"

    /// $VTOK_BINARY, else the release build, else the debug build; skips the test when there is none
    /// (scripts/test.sh builds the release binary first and sets VTOK_BINARY).
    static func binary() throws -> String {
        var candidates = [root.appendingPathComponent(".build/release/vtok").path,
                          root.appendingPathComponent(".build/debug/vtok").path]
        if let env = ProcessInfo.processInfo.environment["VTOK_BINARY"], !env.isEmpty { candidates.insert(env, at: 0) }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no vtok binary (looked in \(candidates.joined(separator: ", "))): build it or set VTOK_BINARY")
        }
        guard FileManager.default.isExecutableFile(atPath: ffmpeg), FileManager.default.isExecutableFile(atPath: ffprobe)
        else { throw XCTSkip("ffmpeg and ffprobe are needed to make and check clips") }
        return found
    }
}

/// What a finished process left behind.
struct ProcessResult {
    var status: Int32
    /// Killed by a signal (a crash, or our timeout): always a failure.
    var signalled: Bool
    var timedOut = false
    var stdout: [UInt8]
    var stderr: String
    var command: String

    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    /// The lines vtok itself wrote (FFmpeg's library log lines start with "[name @ 0x...]").
    var vtokLines: [String] { stderrLines.filter { $0.hasPrefix("vtok:") } }
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var summary: String { "\(command) -> status \(status)\(signalled ? " (signal)" : ""), stderr:\n\(stderr)" }
}

/// A process's standard input.
enum ProcessInput {
    case null
    /// `< file`: a regular file as stdin (seekable, not live).
    case file(String)
    /// `cat file |`: the file's bytes through a pipe.
    case pipe(String)
    case bytes([UInt8])
}

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

    // MARK: processes

    /// Runs `executable` to the end. stdout and stderr go to files, so neither can fill a pipe and block.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], stdin: ProcessInput = .null, timeout: Double = 60,
             environment: [String: String]? = nil) throws -> ProcessResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let (outPath, errPath) = (path("stdout-\(UUID().uuidString)"), path("stderr-\(UUID().uuidString)"))
        let out = try openForWriting(outPath), err = try openForWriting(errPath)
        p.standardOutput = out
        p.standardError = err
        var feeder: Thread?
        var stdin = stdin
        if case .pipe(let f) = stdin { stdin = .bytes(try readBytes(f)) }
        switch stdin {
        case .null: p.standardInput = FileHandle.nullDevice
        case .file(let f):
            guard let h = FileHandle(forReadingAtPath: f) else { throw CLITestError("cannot read \(f)") }
            p.standardInput = h
        case .pipe: break
        case .bytes(let data):
            let pipe = Pipe()
            p.standardInput = pipe
            let writer = pipe.fileHandleForWriting
            feeder = Thread {
                data.withUnsafeBytes { raw in
                    var done = 0
                    while done < raw.count {
                        let n = Glibc.write(writer.fileDescriptor, raw.baseAddress! + done, raw.count - done)
                        if n <= 0 { break }              // the reader went away (EPIPE): fine, it has what it wanted
                        done += n
                    }
                }
                try? writer.close()
            }
        }
        try p.run()
        feeder?.start()
        let finished = waitForExit(p, timeout: timeout)
        try out.close()
        try err.close()
        var r = ProcessResult(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                              stdout: try readBytes(outPath), stderr: String(decoding: try readBytes(errPath), as: UTF8.self),
                              command: ([executable] + arguments).joined(separator: " "))
        r.timedOut = !finished
        return r
    }

    /// `vtok` with `arguments`.
    @discardableResult
    func vtok(_ arguments: [String], stdin: ProcessInput = .null, timeout: Double = 60) throws -> ProcessResult {
        try run(vtok, arguments, stdin: stdin, timeout: timeout)
    }

    /// `producer | consumer`, connected by a real pipe, both run to the end.
    func pipeline(_ producer: (String, [String]), _ consumer: (String, [String]), producerStdin: String? = nil,
                  timeout: Double = 60) throws -> (producer: ProcessResult, consumer: ProcessResult) {
        let a = Process(), b = Process()
        a.executableURL = URL(fileURLWithPath: producer.0)
        a.arguments = producer.1
        b.executableURL = URL(fileURLWithPath: consumer.0)
        b.arguments = consumer.1
        let pipe = Pipe()
        let names = (0..<4).map { path("io-\($0)-\(UUID().uuidString)") }
        let files = try names.map(openForWriting)
        if let producerStdin {
            guard let h = FileHandle(forReadingAtPath: producerStdin) else { throw CLITestError("cannot read \(producerStdin)") }
            a.standardInput = h
        } else {
            a.standardInput = FileHandle.nullDevice
        }
        a.standardOutput = pipe
        a.standardError = files[1]
        b.standardInput = pipe
        b.standardOutput = files[2]
        b.standardError = files[3]
        try a.run()
        try b.run()
        // The parent must not keep either end open, or the consumer never sees the end of its input.
        try? pipe.fileHandleForReading.close()
        try? pipe.fileHandleForWriting.close()
        let aDone = waitForExit(a, timeout: timeout), bDone = waitForExit(b, timeout: timeout)
        for f in files { try f.close() }
        func result(_ p: Process, _ done: Bool, _ out: String?, _ err: String, _ cmd: (String, [String])) throws -> ProcessResult {
            var r = ProcessResult(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                                  stdout: try out.map(readBytes) ?? [], stderr: String(decoding: try readBytes(err), as: UTF8.self),
                                  command: ([cmd.0] + cmd.1).joined(separator: " "))
            r.timedOut = !done
            return r
        }
        return (try result(a, aDone, nil, names[1], producer), try result(b, bDone, names[2], names[3], consumer))
    }

    /// Waits for `p`, killing it after `timeout` seconds; false when it had to be killed.
    func waitForExit(_ p: Process, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        guard p.isRunning else {
            p.waitUntilExit()
            return true
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return false
    }

    private func openForWriting(_ file: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: file, contents: nil), let h = FileHandle(forWritingAtPath: file) else {
            throw CLITestError("cannot create \(file)")
        }
        return h
    }

    func readBytes(_ file: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file))) }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    // MARK: clips

    /// `ffmpeg -y <args> <dir/name>`; returns the path.
    @discardableResult
    func ffmpeg(_ name: String, _ arguments: [String]) throws -> String {
        let out = path(name)
        let r = try run(CLI.ffmpeg, ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + arguments + [out])
        guard r.status == 0, !r.signalled else { throw CLITestError("ffmpeg failed: \(r.summary)") }
        return out
    }

    /// ffmpeg arguments for a testsrc2 clip of `frames` frames.
    static func testsrc(size: String = "48x32", rate: String = "25", frames: Int, codec: String? = nil,
                        format: String? = nil) -> [String] {
        ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)", "-frames:v", String(frames), "-pix_fmt", "yuv420p"]
            + (codec.map { ["-c:v", $0] } ?? []) + (format.map { ["-f", $0] } ?? [])
    }

    /// A testsrc2 clip written to `name`.
    func clip(_ name: String, size: String = "48x32", rate: String = "25", frames: Int, codec: String? = nil,
              extra: [String] = []) throws -> String {
        try ffmpeg(name, Self.testsrc(size: size, rate: rate, frames: frames, codec: codec) + extra)
    }

    /// Presentation time in seconds of every frame of the first video stream, as ffprobe decodes them.
    func probeTimes(_ file: String) throws -> [Double] {
        let r = try run(CLI.ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                                      "-of", "csv=p=0", file])
        guard r.status == 0 else { throw CLITestError("ffprobe failed: \(r.summary)") }
        return Self.parseTimes(r.stdoutText)
    }

    static func parseTimes(_ csv: String) -> [Double] {
        csv.split(separator: "\n").compactMap { Double($0.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces)) }
    }

    /// The same for bytes read by ffprobe from its stdin.
    func probeTimes(stdin bytes: [UInt8]) throws -> [Double] {
        let r = try run(CLI.ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                                      "-of", "csv=p=0", "-"], stdin: .bytes(bytes))
        guard r.status == 0 else { throw CLITestError("ffprobe failed: \(r.summary)") }
        return Self.parseTimes(r.stdoutText)
    }

    /// `vtok encode` with the tiny model at 48x32, stdout captured.
    func encode(_ input: String, _ extra: [String] = [], stdin: ProcessInput = .null) throws -> ProcessResult {
        try vtok(["encode", input, "--model", CLI.tinyModel, "--size", "48x32"] + extra, stdin: stdin)
    }

    // MARK: assertions

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

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A token stream read back with VtokStream's reader, every event kept.
struct ParsedStream {
    var events: [StreamEvent] = []
    /// The reader's verdict at the end of input: nil when complete (§6.2).
    var problem: StreamError?
    var thrown: StreamError?

    init(_ bytes: [UInt8], chunk: Int = 997) {
        var r = StreamReader()
        var i = 0
        repeat {
            r.feed(bytes[i..<min(i + chunk, bytes.count)])
            i += chunk
            do {
                while let e = try r.next() { events.append(e) }
            } catch {
                thrown = error
            }
        } while i < bytes.count
        problem = r.finish()
    }

    var headers: [StreamHeader] { events.compactMap { if case .header(let h) = $0 { return h } else { return nil } } }
    var frames: [TokenFrame] { events.compactMap { if case .tokens(let t) = $0 { return t } else { return nil } } }
    var end: EndInfo? { events.compactMap { if case .end(let e) = $0 { return e } else { return nil } }.last }
    var skippedBytes: Int { events.reduce(0) { if case .skipped(let n, _) = $1 { return $0 + n } else { return $0 } } }
    var missingPackets: UInt64 {
        events.reduce(0) { if case .discontinuity(_, let n) = $1 { return $0 + n } else { return $0 } }
    }
    var isComplete: Bool { problem == nil && thrown == nil }
    var pts: [Int64] { frames.flatMap(\.pts) }
    var frameCounts: [Int] { frames.map(\.frameCount) }
    var isEmpty: Bool { events.isEmpty }

    /// The stream is whole and ends with END; every latent frame is valid against its header; the END counts
    /// match what is in the stream; frame and latent indices run on without gaps.
    func assertWellFormed(file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNil(thrown, file: file, line: line)
        XCTAssertNil(problem, "the stream must be complete (END last, nothing after)", file: file, line: line)
        XCTAssertEqual(skippedBytes, 0, "no damaged bytes in a stream vtok wrote", file: file, line: line)
        guard case .header = events.first else { return XCTFail("a HEADER must come first: \(events.first.map { "\($0)" } ?? "nothing")", file: file, line: line) }
        guard case .end(let end)? = events.last else { return XCTFail("END must be last", file: file, line: line) }
        XCTAssertEqual(end.framesIn, pts.count, "END frames_in", file: file, line: line)
        XCTAssertEqual(end.latentFramesOut, frames.count, "END latent_frames_out", file: file, line: line)
        var expectedFrameIndex = 0, latentIndex = 0, header: StreamHeader?
        for e in events {
            switch e {
            case .header(let h):
                if header != nil { XCTAssertEqual(h.segment, header!.segment + 1, "segments count up", file: file, line: line) }
                header = h
                latentIndex = 0
            case .tokens(let t):
                guard let h = header else { return XCTFail("tokens before a header", file: file, line: line) }
                XCTAssertEqual(t.latentIndex, latentIndex, file: file, line: line)
                XCTAssertEqual(t.frameIndex, expectedFrameIndex, file: file, line: line)
                XCTAssertEqual(t.tokens.count, h.latentHeight * h.latentWidth, file: file, line: line)
                XCTAssertTrue(t.tokens.allSatisfy { Int($0) < h.vocabularySize }, file: file, line: line)
                // Causal grouping (§4.2): latent 0 covers 1 frame, later ones T (the last may cover fewer).
                XCTAssertLessThanOrEqual(t.frameCount, latentIndex == 0 ? 1 : h.temporalFactor, file: file, line: line)
                XCTAssertEqual(t.latents != nil, h.hasLatents, file: file, line: line)
                expectedFrameIndex += t.frameCount
                latentIndex += 1
            case .end:
                break
            default:
                XCTFail("unexpected event in a clean stream: \(e)", file: file, line: line)
            }
        }
        XCTAssertEqual(pts, pts.sorted(), "pts increase", file: file, line: line)
        XCTAssertEqual(Set(pts).count, pts.count, "pts are distinct", file: file, line: line)
    }
}

/// Expected latent frame sizes for `n` frames of one segment with temporal factor 4: 1, 4, 4, ..., rest.
func causalGroups(_ n: Int, t: Int = 4) -> [Int] {
    guard n > 0 else { return [] }
    var out = [1], left = n - 1
    while left > 0 {
        out.append(min(t, left))
        left -= t
    }
    return out
}

/// Seconds of each pts in `header`'s time base.
func seconds(_ pts: [Int64], _ h: StreamHeader) -> [Double] {
    pts.map { Double($0) * Double(h.timeBase.num) / Double(h.timeBase.den) }
}

func assertTimesEqual(_ a: [Double], _ b: [Double], accuracy: Double = 1e-3, _ message: String = "",
                      file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "frame count \(message): \(a) vs \(b)", file: file, line: line)
    for (x, y) in zip(a, b) where abs(x - y) > accuracy {
        return XCTFail("timestamps differ \(message): \(a) vs \(b)", file: file, line: line)
    }
}
