// The errors of the token stream: what went wrong, in the terms of docs/token-stream.md.

/// Why bytes could not be read as, or values could not be written to, a token stream.
///
/// A reader reports most of these inside `StreamEvent.skipped` and goes on (§6); it throws only
/// `unsupportedVersion`. A writer throws `invalidArgument` for values the format cannot carry.
public enum StreamError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bytes where a packet should start that are not the sync bytes (§3, §6.1).
    case badMagic
    /// A packet header whose `header_crc` does not match (§3).
    case headerCRCMismatch
    /// A packet whose `packet_crc` does not match; `sequence` is from its (valid) header (§3).
    case crcMismatch(sequence: UInt64)
    /// A packet header announcing a payload over `MAX_PAYLOAD` (§8). Not allocated, not waited for.
    case packetTooLarge(length: UInt32)
    /// A HEADER of a major version this reader does not implement (§7).
    case unsupportedVersion(major: UInt16, minor: UInt16)
    /// A valid packet whose payload breaks a rule of §4; `packetType` is its type byte.
    case malformed(packetType: UInt8, reason: String)
    /// A TOKENS packet before any HEADER: the reader joined mid-stream (§6.3).
    case missingHeader
    /// Input ended without END, or inside a packet; `trailingBytes` did not form a valid packet (§6.2).
    case truncated(trailingBytes: Int)
    /// A writer was given a value the format cannot carry, or was used out of order.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .badMagic: return "bytes that are not a vtok packet (bad sync magic)"
        case .headerCRCMismatch: return "packet header CRC mismatch"
        case let .crcMismatch(sequence): return "CRC mismatch in packet \(sequence)"
        case let .packetTooLarge(length): return "packet payload of \(length) bytes exceeds the 16 MiB limit"
        case let .unsupportedVersion(major, minor): return "unsupported token stream version \(major).\(minor)"
        case let .malformed(type, reason): return "malformed packet of type \(type): \(reason)"
        case .missingHeader: return "tokens before any stream header"
        case let .truncated(n): return "stream truncated (\(n) trailing bytes, no END packet)"
        case let .invalidArgument(reason): return "invalid value for the token stream: \(reason)"
        }
    }
}
