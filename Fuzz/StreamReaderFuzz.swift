// libFuzzer target: the token stream reader (Sources/VtokStream) and `vtok info`'s statistics on any bytes.
// Built by scripts/fuzz.sh as one module with those sources. A trap, a hang or a broken invariant is a crash.

/// The first byte picks the chunk size (bits 0-2), so one input also tests how packets split across reads, and
/// whether `vtok info`'s statistics run too (bit 3: they allocate a 64K-entry histogram per header, so they run
/// on half the inputs to keep the rate up).
@_cdecl("LLVMFuzzerTestOneInput")
public func streamReaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let chunk = [1, 7, 64, 997, 1 << 16, 3, 32, 4096][Int(bytes[0] & 7)]
    let withStats = bytes[0] & 8 != 0
    let input = bytes.dropFirst()
    var reader = StreamReader()
    var stats = StreamStats()
    var events = 0
    func drain() {
        while true {
            let event: StreamEvent?
            do { event = try reader.next() } catch { continue }     // unsupportedVersion: reading goes on
            guard let event else { return }
            events += 1
            if withStats { stats.add(event) }
            check(event)
        }
    }
    var i = input.startIndex
    while i < input.endIndex {
        let j = min(input.endIndex, i + chunk)
        reader.feed(input[i..<j])
        drain()
        i = j
    }
    reader.endInput()
    drain()
    _ = reader.finish()
    _ = stats.durationSeconds
    _ = stats.entropyBits
    _ = stats.damage
    // §8: CRC work is linear in the input, whatever it is.
    precondition(reader.checksummedBytes <= 41 * size + 64, "resync work \(reader.checksummedBytes) for \(size) bytes")
    precondition(events <= size, "more events than bytes")
    return 0
}

/// What a reader reports must be what a writer can write: every header passes its own validation, every
/// frame fits its header.
private func check(_ event: StreamEvent) {
    switch event {
    case .header(let h):
        precondition(h.violation() == nil, "reader accepted a header the writer refuses")
        lastHeader = h
    case .tokens(let t):
        if let h = lastHeader { precondition(t.violation(against: h) == nil, "frame breaks its header") }
    default:
        break
    }
}

nonisolated(unsafe) private var lastHeader: StreamHeader?
