// Little-endian integer encoding and bounds-checked decoding (docs/token-stream.md §2). Internal helpers.

extension Array where Element == UInt8 {
    /// Appends `value` as `size` little-endian bytes (§2).
    @inline(__always)
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
    }

    /// Overwrites `T.bitWidth / 8` bytes at `offset` with `value`, little-endian.
    @inline(__always)
    mutating func storeLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        var v = value.littleEndian
        Swift.withUnsafeBytes(of: &v) { raw in
            for (i, b) in raw.enumerated() { self[offset + i] = b }
        }
    }

    /// Reads a little-endian `T` at `offset`; the caller has checked the bounds.
    @inline(__always)
    func loadLE<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var v: T = 0
        for i in 0..<(T.bitWidth / 8) { v |= T(truncatingIfNeeded: self[offset + i]) << (8 * i) }
        return v
    }
}

/// Reads little-endian fields from a payload, front to back, failing with `StreamError.malformed` when the
/// payload is shorter than the field (§4: "a payload shorter than its defined fields is malformed").
struct ByteCursor {
    let bytes: ArraySlice<UInt8>
    let packetType: UInt8
    private(set) var offset: Int

    init(_ bytes: ArraySlice<UInt8>, packetType: UInt8) {
        self.bytes = bytes
        self.packetType = packetType
        self.offset = bytes.startIndex
    }

    /// Bytes not read yet (the extension area, once all defined fields are read).
    var remaining: Int { bytes.endIndex - offset }

    func fail(_ reason: String) -> StreamError { .malformed(packetType: packetType, reason: reason) }

    func need(_ count: Int, _ what: String) throws(StreamError) {
        guard count >= 0, remaining >= count else { throw fail("payload too short for \(what)") }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(StreamError) -> T {
        let n = T.bitWidth / 8
        try need(n, what)
        var v: T = 0
        for i in 0..<n { v |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        offset += n
        return v
    }

    mutating func readBytes(_ count: Int, _ what: String) throws(StreamError) -> [UInt8] {
        try need(count, what)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func readUTF8(_ count: Int, _ what: String) throws(StreamError) -> String {
        let raw = try readBytes(count, what)
        guard let s = String(validating: raw, as: UTF8.self) else { throw fail("\(what) is not valid UTF-8") }
        return s
    }

    /// Reads `count` little-endian integers, e.g. the (h, w) u16 token grid.
    mutating func readArray<T: FixedWidthInteger>(_: T.Type, _ count: Int, _ what: String) throws(StreamError) -> [T] {
        let size = T.bitWidth / 8
        try need(count * size, what)
        let start = offset
        offset += count * size
        return [T](unsafeUninitializedCapacity: count) { buf, n in
            for i in 0..<count {
                var v: T = 0
                for k in 0..<size { v |= T(truncatingIfNeeded: bytes[start + size * i + k]) << (8 * k) }
                buf[i] = v
            }
            n = count
        }
    }

    /// Reads `count` little-endian IEEE 754 binary32 values, e.g. the (h, w, c) latents.
    mutating func readFloats(_ count: Int, _ what: String) throws(StreamError) -> [Float] {
        try readArray(UInt32.self, count, what).map(Float.init(bitPattern:))
    }
}
