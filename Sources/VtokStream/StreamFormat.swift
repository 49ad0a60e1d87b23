// Constants of the token stream format: docs/token-stream.md, the only source of truth for these numbers.

/// The fixed numbers of the vtok token stream, version 1.1 (docs/token-stream.md).
public enum StreamFormat {
    /// The major version this implementation reads and writes (§7).
    public static let versionMajor: UInt16 = 1
    /// The minor version this implementation writes (§7). 1.1 adds the HEADER's encoder_sha256 (§4.1).
    public static let versionMinor: UInt16 = 1

    /// Packet sync bytes, `0x8A` then ASCII `VTK` (§3).
    public static let sync: [UInt8] = [0x8A, 0x56, 0x54, 0x4B]
    /// HEADER payload magic, ASCII `VTOK` (§4.1).
    public static let headerMagic: [UInt8] = [0x56, 0x54, 0x4F, 0x4B]

    /// Size of the fixed packet header (§3).
    public static let packetHeaderSize = 32
    /// Size of the trailing packet CRC (§3).
    public static let packetTrailerSize = 4
    /// Bytes a packet adds around its payload.
    public static let packetOverhead = packetHeaderSize + packetTrailerSize

    /// `MAX_PAYLOAD`: the largest payload a writer may write and a reader accepts (§3, §8).
    public static let maxPayloadLength = 16 * 1024 * 1024
    /// Largest temporal factor (§8).
    public static let maxTemporalFactor = 256
    /// Largest number of FSQ levels, i.e. latent channels (§4.1).
    public static let maxLevelCount = 16
    /// Largest vocabulary: a token is one u16 (§4.1).
    public static let maxVocabularySize = 65_536
    /// Longest model name in UTF-8 bytes (§4.1).
    public static let maxModelNameLength = 255
    /// Longest END message in UTF-8 bytes (§4.3).
    public static let maxMessageLength = 4_096

    /// "No timestamp", as FFmpeg's `AV_NOPTS_VALUE` (§2). HEADER and END packets carry it as their pts.
    public static let noPTS = Int64.min

    /// Fixed part of the HEADER payload before `levels` (§4.1).
    static let headerFixedSize = 110
    /// Fixed part of the TOKENS payload before `pts` (§4.2).
    static let tokensFixedSize = 16
    /// Fixed part of the END payload before `message` (§4.3).
    static let endFixedSize = 20
}
