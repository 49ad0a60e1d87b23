// The past of a causal conv: its last kt-1 input frames in a fixed ring, zeros at stream start. The ring is
// allocated once; push copies one frame in. Memory is constant however long the stream runs.

final class ConvHistory {
    let kt: Int
    let frameCount: Int                 // h * w * cin
    private let ring: FloatBuffer?      // (kt-1, h, w, cin): slot (head + i) % (kt-1) is the i-th oldest
    private var head = 0

    init(kt: Int, frameCount: Int) {
        self.kt = kt
        self.frameCount = frameCount
        ring = kt > 1 ? FloatBuffer(count: (kt - 1) * frameCount) : nil
    }

    /// Input frame (h, w, cin) of temporal tap dt: 0 is the oldest, kt-1 the current frame x.
    func frame(_ dt: Int, current x: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        guard let ring, dt < kt - 1 else { return x }
        return ring.data + ((head + dt) % (kt - 1)) * frameCount
    }

    /// Makes x (h, w, cin) the newest past frame, dropping the oldest.
    func push(_ x: UnsafePointer<Float>) {
        guard let ring else { return }
        (ring.data + head * frameCount).update(from: x, count: frameCount)
        head = (head + 1) % (kt - 1)
    }

    func reset() {
        ring?.zero()
        head = 0
    }
}
