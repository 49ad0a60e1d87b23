// What a StreamReader reports: the stream's content and what went wrong on the way (docs/token-stream.md §6).

/// One thing a `StreamReader` found, in stream order.
public enum StreamEvent: Equatable, Sendable {
    /// A new header: the stream's first, a new segment's, or the first one a mid-stream joiner sees
    /// (§6.3). Repeats of the current header are not reported.
    case header(StreamHeader)
    /// One latent frame (§4.2), read against the current header.
    case tokens(TokenFrame)
    /// The END packet (§4.3): the stream is complete.
    case end(EndInfo)
    /// `bytes` were skipped before the next valid packet, or a valid packet was ignored; `reason` is the first
    /// cause: `badMagic`, `headerCRCMismatch`, `crcMismatch`, `packetTooLarge` (§6.1), `malformed` or
    /// `missingHeader` (§6.3).
    case skipped(bytes: Int, reason: StreamError)
    /// Packets were lost before packet `sequence` (§6.4): `missing` sequence numbers are absent (0 when
    /// only the DISCONTINUITY flag says so, or the sequence went backwards).
    case discontinuity(sequence: UInt64, missing: UInt64)
    /// A valid packet of a type this version does not define, skipped (§4, §7).
    case unknownPacket(type: PacketType, sequence: UInt64, length: Int)
}
