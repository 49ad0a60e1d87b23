// One clear line on stderr and a non-zero exit, like FFmpeg's tools.
import ArgumentParser
import Foundation

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

enum Terminal {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("vtok: \(message)\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("vtok: \(message)\n".utf8))
    }

    /// Progress is shown only when stderr is a terminal.
    static var showsProgress: Bool { isatty(2) != 0 }

    static func progress(_ line: String) {
        guard showsProgress else { return }
        FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
    }

    static func endProgress() {
        guard showsProgress else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// Exit codes: 0 success, 1 the input or the processing failed, 2 the output could not be written.
enum ExitCodes {
    static let failure: Int32 = 1
    static let outputFailure: Int32 = 2
}
