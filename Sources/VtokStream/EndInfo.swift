// What the END packet says: how the stream ended and how much it carried (docs/token-stream.md §4.3).

/// Why a stream ended (§4.3). Unknown codes from newer writers are kept as `.other(code)`.
public enum EndReason: Hashable, Sendable, CustomStringConvertible {
    case endOfInput, inputError, limitExceeded, shutdown, sourceChanged, encoderError
    /// 6 (1.x addition): a local writer was interrupted by SIGINT or SIGTERM (§4.3).
    case interrupted
    case other(UInt8)

    public init(code: UInt8) {
        switch code {
        case 0: self = .endOfInput
        case 1: self = .inputError
        case 2: self = .limitExceeded
        case 3: self = .shutdown
        case 4: self = .sourceChanged
        case 5: self = .encoderError
        case 6: self = .interrupted
        default: self = .other(code)
        }
    }

    public var code: UInt8 {
        switch self {
        case .endOfInput: return 0
        case .inputError: return 1
        case .limitExceeded: return 2
        case .shutdown: return 3
        case .sourceChanged: return 4
        case .encoderError: return 5
        case .interrupted: return 6
        case .other(let c): return c
        }
    }

    public var description: String {
        switch self {
        case .endOfInput: return "endOfInput"
        case .inputError: return "inputError"
        case .limitExceeded: return "limitExceeded"
        case .shutdown: return "shutdown"
        case .sourceChanged: return "sourceChanged"
        case .encoderError: return "encoderError"
        case .interrupted: return "interrupted"
        case .other(let c): return "reason \(c)"
        }
    }
}

/// The END payload (§4.3).
public struct EndInfo: Equatable, Sendable {
    /// Source frames in the whole stream: the sum of every TOKENS packet's frame count.
    public var framesIn: Int
    /// TOKENS packets in the whole stream.
    public var latentFramesOut: Int
    public var reason: EndReason
    /// Human-readable detail, at most 4096 UTF-8 bytes (a writer cuts longer ones at a character boundary).
    public var message: String

    public init(framesIn: Int, latentFramesOut: Int, reason: EndReason, message: String = "") {
        self.framesIn = framesIn
        self.latentFramesOut = latentFramesOut
        self.reason = reason
        self.message = message
    }

    /// A whole END packet (§3, §4.3) with sequence number `sequence`: `Packet.end(self, sequence:)`'s bytes.
    public func packet(sequence: UInt64) -> [UInt8] {
        Packet.end(self, sequence: sequence).bytes
    }

    /// This END as its payload says it: counts clamped at 0, the message cut to 4096 UTF-8 bytes at a
    /// character boundary.
    var asWritten: EndInfo {
        EndInfo(framesIn: max(framesIn, 0), latentFramesOut: max(latentFramesOut, 0), reason: reason,
                message: String(decoding: messageBytes, as: UTF8.self))
    }

    /// The message's UTF-8 bytes, cut to `StreamFormat.maxMessageLength` at a character boundary.
    private var messageBytes: [UInt8] {
        let text = Array(message.utf8)
        guard text.count > StreamFormat.maxMessageLength else { return text }
        // Cut at a UTF-8 character boundary: drop continuation bytes (10xxxxxx) at the cut.
        var n = StreamFormat.maxMessageLength
        while n > 0 && text[n] & 0xC0 == 0x80 { n -= 1 }
        return Array(text[0..<n])
    }

    func encodePayload() -> [UInt8] {
        let text = messageBytes
        var out = [UInt8]()
        out.appendLE(UInt64(max(framesIn, 0)))
        out.appendLE(UInt64(max(latentFramesOut, 0)))
        out.append(reason.code)
        out.append(0)  // reserved
        out.appendLE(UInt16(text.count))
        out.append(contentsOf: text)
        return out
    }

    static func decode(payload: ArraySlice<UInt8>) throws(StreamError) -> EndInfo {
        var c = ByteCursor(payload, packetType: PacketType.end.rawValue)
        let frames = try c.read(UInt64.self, "frames_in")
        let latents = try c.read(UInt64.self, "latent_frames_out")
        let reason = EndReason(code: try c.read(UInt8.self, "reason"))
        _ = try c.read(UInt8.self, "reserved")
        let length = Int(try c.read(UInt16.self, "message_length"))
        guard length <= StreamFormat.maxMessageLength else { throw c.fail("message longer than 4096 bytes") }
        let message = try c.readUTF8(length, "message")
        guard frames <= UInt64(Int64.max), latents <= UInt64(Int64.max) else { throw c.fail("counts out of range") }
        return EndInfo(framesIn: Int(frames), latentFramesOut: Int(latents), reason: reason, message: message)
    }
}
