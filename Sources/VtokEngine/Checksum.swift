// SHA-256 for callers outside the engine (the batch encoder's results manifest names each stream by it).

public enum Checksum {
    /// Lower-case hex of the SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hex(SHA256.hash(bytes)) }
}
