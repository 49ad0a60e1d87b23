// The display rotation a container stores for a video stream (a 3x3 display matrix, e.g. mp4's tkhd), read as
// FFmpeg's av_display_rotation_get reads it. Values come from the file: any matrix gives a number, never a trap.
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
}
