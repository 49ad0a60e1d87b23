// CRCs of any byte range of the reader's buffer in constant work: checkpoints of the running CRC every
// `stride` bytes, each byte read once (docs/token-stream.md §6.1, §8 "resync work").

/// Checkpoints over a growing byte buffer so that the CRC-32C of `bytes[a..<b]` costs at most `2 * stride`
/// bytes of direct CRC plus three `CRC32C.shift`s, however long the range and however many overlapping ranges
/// are asked for. Every byte is added to the checkpoints once; `checksummedBytes` counts all CRC work.
struct CRCIndex {
    static let stride = 64

    /// checkpoints[k] = CRC-32C of bytes[0 ..< k * stride]; checkpoints[0] = 0 (the empty string).
    private var checkpoints: [UInt32] = [0]
    private var running = CRC32C()
    /// Bytes read to compute CRCs (checkpoints and the direct parts), for the work bound of §8.
    private(set) var checksummedBytes = 0

    /// Forget all checkpoints: the buffer's first bytes were removed.
    mutating func reset() {
        checkpoints.removeAll(keepingCapacity: true)
        checkpoints.append(0)
        running = CRC32C()
    }

    /// The CRC-32C of `bytes[range]`; `range` lies inside `bytes`, and `bytes` only ever grew since `reset`.
    mutating func checksum(_ bytes: [UInt8], _ range: Range<Int>) -> UInt32 {
        let s = Self.stride
        let a = range.lowerBound, b = range.upperBound
        let ka = (a + s - 1) / s, kb = b / s
        guard kb > ka, b - a > 2 * s else {
            checksummedBytes += b - a
            return CRC32C.checksum(bytes[range])
        }
        extend(bytes, to: kb)
        // bytes[ka*s ..< kb*s] from two checkpoints, then the unaligned head and tail directly.
        let middle = checkpoints[kb] ^ CRC32C.shift(checkpoints[ka], bytes: (kb - ka) * s)
        let head = CRC32C.checksum(bytes[a..<(ka * s)])
        let tail = CRC32C.checksum(bytes[(kb * s)..<b])
        checksummedBytes += (ka * s - a) + (b - kb * s)
        let front = CRC32C.combine(head, middle, lengthB: (kb - ka) * s)
        return CRC32C.combine(front, tail, lengthB: b - kb * s)
    }

    private mutating func extend(_ bytes: [UInt8], to k: Int) {
        let s = Self.stride
        while checkpoints.count <= k {
            let start = (checkpoints.count - 1) * s
            running.update(bytes[start..<(start + s)])
            checksummedBytes += s
            checkpoints.append(running.value)
        }
    }
}
