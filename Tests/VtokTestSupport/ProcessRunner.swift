// Child processes run to the end: stdout and stderr go to scratch files (so neither can fill a pipe and
// block), stdin from nothing, a file or bytes fed by a thread; a timeout kills with SIGKILL.
import Foundation
import Glibc

public enum ProcessRunner {
    /// Runs `executable` to the end, its output in scratch files under `scratch` (removed afterwards).
    /// `mergeStderr`: stderr goes to the stdout file, interleaved as written (`2>&1`).
    public static func run(_ executable: String, _ arguments: [String], stdin: ProcessInput = .null,
                           timeout: Double = 60, environment: [String: String]? = nil,
                           currentDirectory: String? = nil, mergeStderr: Bool = false,
                           scratch: String = NSTemporaryDirectory()) throws -> ProcessResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let environment { p.environment = environment }
        if let currentDirectory { p.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let (outPath, errPath) = (scratchName(scratch, "stdout"), scratchName(scratch, "stderr"))
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        let out = try openForWriting(outPath), err = try openForWriting(errPath)
        p.standardOutput = out
        p.standardError = mergeStderr ? out : err
        var feeder: Thread?
        var stdin = stdin
        if case .pipe(let f) = stdin { stdin = .bytes(try readBytes(f)) }
        switch stdin {
        case .null: p.standardInput = FileHandle.nullDevice
        case .file(let f):
            guard let h = FileHandle(forReadingAtPath: f) else { throw TestSupportError("cannot read \(f)") }
            p.standardInput = h
        case .pipe: break
        case .bytes(let data):
            let pipe = Pipe()
            p.standardInput = pipe
            let writer = pipe.fileHandleForWriting
            feeder = Thread {
                data.withUnsafeBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    var done = 0
                    while done < raw.count {
                        let n = Glibc.write(writer.fileDescriptor, base + done, raw.count - done)
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
        return ProcessResult(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                             timedOut: !finished, stdout: try readBytes(outPath),
                             stderr: String(decoding: try readBytes(errPath), as: UTF8.self),
                             command: ([executable] + arguments).joined(separator: " "))
    }

    /// `producer | consumer`, connected by a real pipe, both run to the end. The producer's stdout is the pipe,
    /// so its result has empty stdout.
    public static func pipeline(_ producer: (String, [String]), _ consumer: (String, [String]),
                                producerStdin: String? = nil, timeout: Double = 60,
                                scratch: String = NSTemporaryDirectory()) throws
        -> (producer: ProcessResult, consumer: ProcessResult) {
        let a = Process(), b = Process()
        a.executableURL = URL(fileURLWithPath: producer.0)
        a.arguments = producer.1
        b.executableURL = URL(fileURLWithPath: consumer.0)
        b.arguments = consumer.1
        let pipe = Pipe()
        let names = ["producer-stderr", "consumer-stdout", "consumer-stderr"].map { scratchName(scratch, $0) }
        defer { for n in names { unlink(n) } }
        let files = try names.map(openForWriting)
        if let producerStdin {
            guard let h = FileHandle(forReadingAtPath: producerStdin) else { throw TestSupportError("cannot read \(producerStdin)") }
            a.standardInput = h
        } else {
            a.standardInput = FileHandle.nullDevice
        }
        a.standardOutput = pipe
        a.standardError = files[0]
        b.standardInput = pipe
        b.standardOutput = files[1]
        b.standardError = files[2]
        try a.run()
        try b.run()
        // The parent must not keep either end open, or the consumer never sees the end of its input.
        try? pipe.fileHandleForReading.close()
        try? pipe.fileHandleForWriting.close()
        let aDone = waitForExit(a, timeout: timeout), bDone = waitForExit(b, timeout: timeout)
        for f in files { try f.close() }
        func result(_ p: Process, _ done: Bool, _ out: String?, _ err: String, _ cmd: (String, [String])) throws -> ProcessResult {
            ProcessResult(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal, timedOut: !done,
                          stdout: try out.map(readBytes) ?? [], stderr: String(decoding: try readBytes(err), as: UTF8.self),
                          command: ([cmd.0] + cmd.1).joined(separator: " "))
        }
        return (try result(a, aDone, nil, names[0], producer), try result(b, bDone, names[1], names[2], consumer))
    }

    /// Waits for `p`, killing it after `timeout` seconds; false when it had to be killed.
    public static func waitForExit(_ p: Process, timeout: Double) -> Bool {
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

    public static func readBytes(_ file: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file))) }

    private static func scratchName(_ dir: String, _ what: String) -> String {
        (dir.hasSuffix("/") ? dir : dir + "/") + "vtok-\(what)-\(UUID().uuidString)"
    }

    private static func openForWriting(_ file: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: file, contents: nil), let h = FileHandle(forWritingAtPath: file) else {
            throw TestSupportError("cannot create \(file)")
        }
        return h
    }
}
