// Owned, 64-byte aligned Float storage allocated once (weights, activations, im2col scratch, ring buffers).
// Sessions allocate all of these at init so the per-frame hot path never allocates.

final class FloatBuffer {
    let count: Int
    let data: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        data.initialize(repeating: 0, count: max(count, 1))
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { data.update(from: base, count: values.count) }
        }
    }

    func zero() { data.update(repeating: 0, count: count) }

    var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    deinit { UnsafeMutableRawPointer(data).deallocate() }
}

/// A view of one frame of activations: (h, w, c) channels-last, row-major.
struct Frame {
    let h: Int
    let w: Int
    let c: Int
    let data: UnsafeMutablePointer<Float>
    var count: Int { h * w * c }
}
