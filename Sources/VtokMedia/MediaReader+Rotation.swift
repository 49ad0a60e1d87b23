// The display rotation a container stores for a video stream (a 3x3 display matrix, e.g. mp4's tkhd), read as
// FFmpeg's av_display_rotation_get reads it, and applied as the ffmpeg tool's autorotate does: quarter turns of
// the scaled RGB picture. Values come from the file: any matrix gives a number, never a trap.
import CFFmpeg
import Foundation

extension MediaReader {
    /// Degrees counter-clockwise, rounded to an integer; 0 without a display matrix or for a degenerate one.
    static func displayRotation(_ stream: UnsafeMutablePointer<AVStream>) -> Int {
        var size: Int = 0
        guard let raw = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 36 else { return 0 }
        // (3, 3) row-major: a, b, u / c, d, v / x, y, w; a..d and x, y are 16.16 fixed point.
        let m = (0..<9).map { i in
            Double(Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[4 * i + $1]) << (8 * UInt32($1)) }))
        }
        return rotation(matrix: m)
    }

    /// av_display_rotation_get on a (3, 3) matrix of raw values.
    static func rotation(matrix m: [Double]) -> Int {
        let scale0 = hypot(m[0], m[3]), scale1 = hypot(m[1], m[4])
        guard scale0 > 0, scale1 > 0 else { return 0 }
        let degrees = -atan2(m[1] / scale1, m[0] / scale0) * 180 / Double.pi
        guard degrees.isFinite else { return 0 }
        return Int(degrees.rounded())
    }

    /// Clockwise quarter turns that make the picture upright: theta = -rotation, as ffmpeg's autorotate. 0 for an
    /// angle that is not within a degree of a multiple of 90 (ffmpeg would need a general rotation).
    static func quarterTurns(rotation: Int) -> Int {
        let theta = ((-rotation % 360) + 360) % 360
        let q = (theta + 45) / 90 % 4
        return abs(theta - 90 * ((theta + 45) / 90)) <= 1 ? q : 0
    }

    /// `size` after `quarters` clockwise quarter turns.
    static func turned(_ size: FrameSize, _ quarters: Int) -> FrameSize {
        quarters % 2 == 1 ? FrameSize(width: size.height, height: size.width) : size
    }

    /// The plan for the stored picture whose upright version `plan` describes (crops are centred, so swapping
    /// the axes maps one onto the other).
    static func stored(_ plan: ScalePlan, _ quarters: Int) -> ScalePlan {
        guard quarters % 2 == 1 else { return plan }
        let c = plan.crop
        return ScalePlan(crop: CropRect(x: c.y, y: c.x, width: c.height, height: c.width),
                         output: turned(plan.output, 1))
    }

    /// (h, w, 3) RGB24 `pixels` of `size` turned `quarters` times clockwise: (w, h, 3) for odd counts.
    static func turn(_ pixels: [UInt8], size: FrameSize, quarters: Int) -> [UInt8] {
        let q = ((quarters % 4) + 4) % 4
        guard q != 0 else { return pixels }
        let w = size.width, h = size.height
        var out = [UInt8](repeating: 0, count: pixels.count)
        let ow = q % 2 == 1 ? h : w
        for y in 0..<h {
            for x in 0..<w {
                let (ox, oy): (Int, Int)
                switch q {
                case 1: (ox, oy) = (h - 1 - y, x)            // clockwise
                case 2: (ox, oy) = (w - 1 - x, h - 1 - y)
                default: (ox, oy) = (y, w - 1 - x)           // counter-clockwise
                }
                let s = (y * w + x) * 3, d = (oy * ow + ox) * 3
                out[d] = pixels[s]; out[d + 1] = pixels[s + 1]; out[d + 2] = pixels[s + 2]
            }
        }
        return out
    }
}
