// CRC-32C of a concatenation from the CRCs of its parts, without reading the bytes again (docs/token-stream.md
// §6.1: what keeps resynchronisation linear). GF(2) polynomial arithmetic modulo the reflected polynomial.

extension CRC32C {
    /// The CRC-32C of `A || B` from `crcA = checksum(A)`, `crcB = checksum(B)` and `lengthB = |B|` bytes.
    /// O(log lengthB), independent of the bytes.
    ///
    /// ```swift
    /// CRC32C.combine(checksum(a), checksum(b), lengthB: b.count) == checksum(a + b)
    /// ```
    public static func combine(_ crcA: UInt32, _ crcB: UInt32, lengthB: Int) -> UInt32 {
        shift(crcA, bytes: lengthB) ^ crcB
    }

    /// `crc` times x^(8 * bytes) modulo the polynomial: what `crc` becomes when `bytes` zero bits' worth of
    /// message follow it (without the init/final XOR, which `combine` cancels).
    static func shift(_ crc: UInt32, bytes: Int) -> UInt32 {
        guard bytes > 0 else { return crc }
        var p: UInt32 = 1 << 31          // x^0
        var n = UInt64(bytes)
        var k = 3                         // x^(8n) = x^(n * 2^3)
        while n != 0 {
            if n & 1 != 0 { p = multiply(powers[k & 31], p) }
            n >>= 1
            k += 1
        }
        return multiply(p, crc)
    }

    /// a * b modulo the polynomial, both in reflected bit order (bit 31 is x^0).
    private static func multiply(_ a: UInt32, _ b: UInt32) -> UInt32 {
        var m: UInt32 = 1 << 31
        var p: UInt32 = 0
        var b = b
        while m != 0 {
            if a & m != 0 { p ^= b }
            m >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ 0x82F6_3B78 : b >> 1
        }
        return p
    }

    /// powers[k] = x^(2^k) modulo the polynomial, k in 0..<32.
    private static let powers: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 32)
        t[0] = 1 << 30                     // x^1
        for k in 1..<32 { t[k] = multiply(t[k - 1], t[k - 1]) }
        return t
    }()
}
