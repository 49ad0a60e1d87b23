// What a finished child process left behind, and what it reads as its standard input.

/// What a finished process left behind.
public struct ProcessResult: Sendable {
    public var status: Int32
    /// Killed by a signal (a crash, or our timeout): always a failure.
    public var signalled: Bool
    public var timedOut = false
    public var stdout: [UInt8]
    public var stderr: String
    public var command: String

    public init(status: Int32, signalled: Bool, timedOut: Bool = false, stdout: [UInt8], stderr: String, command: String) {
        self.status = status
        self.signalled = signalled
        self.timedOut = timedOut
        self.stdout = stdout
        self.stderr = stderr
        self.command = command
    }

    public var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    /// The lines vtok itself wrote (FFmpeg's library log lines start with "[name @ 0x...]").
    public var vtokLines: [String] { stderrLines.filter { $0.hasPrefix("vtok:") } }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var summary: String { "\(command) -> status \(status)\(signalled ? " (signal)" : ""), stderr:\n\(stderr)" }
    /// Exited by itself with status 0.
    public var succeeded: Bool { status == 0 && !signalled && !timedOut }
}

/// A process's standard input.
public enum ProcessInput: Sendable {
    case null
    /// `< file`: a regular file as stdin (seekable, not live).
    case file(String)
    /// `cat file |`: the file's bytes through a pipe.
    case pipe(String)
    case bytes([UInt8])
}
