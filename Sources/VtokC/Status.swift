// The C boundary's error side: vtok_status codes (include/vtok.h), the thread-local last-error message, and the
// mapping from the engine's typed errors to both. Every exported function turns a thrown CError into its status
// and stores the message; nothing here traps on caller input.

import Glibc
import VtokEngine

/// vtok_status, as in include/vtok.h.
enum Status: Int32 {
    case ok = 0
    case argument = 1
    case cannotRead = 2
    case model = 3
    case frameSize = 4
    case inputLength = 5
    case tokenRange = 6
    case finished = 7
    case backend = 8
    case buffer = 9
    case busy = 10
}

/// A failure on its way out through the C boundary: a status and a one-line message.
struct CError: Error {
    let status: Status
    let message: String

    init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// An if-chain, not a switch: a case added to EngineError later still maps (to its description) and compiles.
    init(_ e: EngineError) {
        if case let .badFrameSize(width, height, multiple) = e {
            self.init(.frameSize, "frame size \(width)x\(height) must be positive multiples of \(multiple), at most 16384")
        } else if case let .wrongInputLength(expected, found) = e {
            self.init(.inputLength, "input of \(found) values where a multiple of \(expected) was expected")
        } else if case let .tokenOutOfRange(t) = e {
            self.init(.tokenRange, "token \(t) is not below the vocabulary size")
        } else if case .streamFinished = e {
            self.init(.finished, "push after finish: reset the session first")
        } else if case let .backendFailed(why) = e {
            self.init(.backend, "the compute library cannot run here: \(why)")
        } else {
            self.init(.argument, "\(e)")
        }
    }

    init(loading path: String, _ e: WeightsError) {
        if case .cannotRead = e {
            self.init(.cannotRead, "cannot read model '\(path)'")
        } else {
            self.init(.model, "cannot load model '\(path)': \(e)")
        }
    }
}

/// The calling thread's last message, a malloc'd C string held in a pthread key (freed at thread exit).
enum LastError {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        _ = pthread_key_create(&k) { free($0) }
        return k
    }()

    static func set(_ message: String) {
        let old = pthread_getspecific(key)
        _ = pthread_setspecific(key, CString.make(message))
        free(old)
    }

    static var current: UnsafePointer<CChar> {
        guard let p = pthread_getspecific(key) else { return CString.empty }
        return UnsafePointer(p.assumingMemoryBound(to: CChar.self))
    }
}

/// Runs `body` and turns its outcome into a status, recording the message of a failure.
func status(_ body: () throws(CError) -> Void) -> Int32 {
    do {
        try body()
        return Status.ok.rawValue
    } catch {
        LastError.set(error.message)
        return error.status.rawValue
    }
}

enum CString {
    /// A malloc'd, NUL-terminated copy of `s` (free it with free()); nil only when malloc fails.
    static func make(_ s: String) -> UnsafeMutablePointer<CChar>? {
        let bytes = Array(s.utf8)
        guard let raw = malloc(bytes.count + 1) else { return nil }
        let p = raw.assumingMemoryBound(to: CChar.self)
        for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
        p[bytes.count] = 0
        return p
    }

    /// "", in the binary's read-only data.
    static var empty: UnsafePointer<CChar> {
        UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
    }
}
