// Resizes decoded RGB24 frames of a later segment to the size of the video being written (bilinear, pure Swift),
// so a stream whose frame size changes mid-stream (§5.3 of docs/token-stream.md) decodes into one video.

/// Bilinear resize of packed (h, w, 3) RGB24 from one fixed size to another.
struct SegmentScaler {
    let from: (width: Int, height: Int)
    let to: (width: Int, height: Int)
    private let xs: [(Int, Int, Float)]   // (to.width,) left and right source column and weight of the right one
    private let ys: [(Int, Int, Float)]   // (to.height,)

    init(from: (width: Int, height: Int), to: (width: Int, height: Int)) {
        self.from = from
        self.to = to
        xs = Self.taps(from.width, to.width)
        ys = Self.taps(from.height, to.height)
    }

    /// Pixel centres aligned (as swscale and PyTorch's align_corners=False do).
    private static func taps(_ n: Int, _ m: Int) -> [(Int, Int, Float)] {
        (0..<m).map { i in
            let x = max(0, (Float(i) + 0.5) * Float(n) / Float(m) - 0.5)
            let a = min(Int(x), n - 1)
            return (a, min(a + 1, n - 1), x - Float(a))
        }
    }

    /// pixels (from.height, from.width, 3) -> (to.height, to.width, 3).
    func scale(_ pixels: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: to.width * to.height * 3)
        let sw = from.width * 3
        for (y, (y0, y1, fy)) in ys.enumerated() {
            for (x, (x0, x1, fx)) in xs.enumerated() {
                for c in 0..<3 {
                    let p00 = Float(pixels[y0 * sw + 3 * x0 + c]), p01 = Float(pixels[y0 * sw + 3 * x1 + c])
                    let p10 = Float(pixels[y1 * sw + 3 * x0 + c]), p11 = Float(pixels[y1 * sw + 3 * x1 + c])
                    let top = p00 + (p01 - p00) * fx, bottom = p10 + (p11 - p10) * fx
                    out[(y * to.width + x) * 3 + c] = UInt8(min(max((top + (bottom - top) * fy).rounded(), 0), 255))
                }
            }
        }
        return out
    }
}
