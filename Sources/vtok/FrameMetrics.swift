// PSNR and SSIM of two RGB24 frames, computed the way FFmpeg's psnr and ssim filters compute them on
// format=rgb24 input (planes G, B, R, 8 bits), so `vtok compare` agrees with `ffmpeg -lavfi "[a][b]psnr"`
// (what scripts/demo.sh prints):
//   PSNR: 10 log10(255^2 / MSE), MSE over every sample of all three channels; the mean over frames is the
//         PSNR of the mean MSE (FFmpeg's "average").
//   SSIM: per channel, 8x8 windows stepped by 4 pixels (sums of 4x4 blocks, two by two), FFmpeg's constants
//         c1 = 416 and c2 = 235963 on those sums (vf_ssim.c, ssim_end1); a frame's SSIM is the mean of its three
//         channels' and the mean over frames is the mean of those.
import Foundation

enum FrameMetrics {
    /// Mean squared error over all samples of two (h, w, 3) RGB24 frames of equal size.
    static func mse(_ a: [UInt8], _ b: [UInt8]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return a.count == b.count ? 0 : .nan }
        var sum: UInt64 = 0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                for i in 0..<pa.count {
                    let d = Int(pa[i]) - Int(pb[i])
                    sum &+= UInt64(d * d)
                }
            }
        }
        return Double(sum) / Double(a.count)
    }

    /// PSNR in dB for an MSE on 8-bit samples; infinity for identical frames.
    static func psnr(mse: Double) -> Double {
        mse <= 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// SSIM of two (h, w, 3) RGB24 frames (FFmpeg's ssim filter on rgb24).
    static func ssim(_ a: [UInt8], _ b: [UInt8], width: Int, height: Int) -> Double {
        let bw = width / 4, bh = height / 4
        guard bw >= 2, bh >= 2, a.count == width * height * 3, b.count == a.count else { return a == b ? 1 : 0 }
        var total = 0.0
        var sums = [Int](repeating: 0, count: bh * bw * 4)          // (bh, bw, 4): s1, s2, ss, s12 per 4x4 block
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                for c in 0..<3 {
                    for i in sums.indices { sums[i] = 0 }
                    for y in 0..<(bh * 4) {
                        let row = y * width * 3 + c
                        let blockRow = (y / 4) * bw
                        for x in 0..<(bw * 4) {
                            let p = Int(pa[row + x * 3]), q = Int(pb[row + x * 3])
                            let k = (blockRow + x / 4) * 4
                            sums[k] += p
                            sums[k + 1] += q
                            sums[k + 2] += p * p + q * q
                            sums[k + 3] += p * q
                        }
                    }
                    var plane = 0.0
                    for by in 0..<(bh - 1) {
                        for bx in 0..<(bw - 1) {
                            var s = (0, 0, 0, 0)
                            for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                                let k = ((by + dy) * bw + bx + dx) * 4
                                s.0 += sums[k]; s.1 += sums[k + 1]; s.2 += sums[k + 2]; s.3 += sums[k + 3]
                            }
                            plane += end(s.0, s.1, s.2, s.3)
                        }
                    }
                    total += plane / Double((bw - 1) * (bh - 1))
                }
            }
        }
        return total / 3
    }

    /// vf_ssim.c's ssim_end1 for sums over one 8x8 window (64 samples).
    private static func end(_ s1: Int, _ s2: Int, _ ss: Int, _ s12: Int) -> Double {
        let c1 = 416.0, c2 = 235963.0
        let vars = Double(ss * 64 - s1 * s1 - s2 * s2)
        let covar = Double(s12 * 64 - s1 * s2)
        let (f1, f2) = (Double(s1), Double(s2))
        return (2 * f1 * f2 + c1) * (2 * covar + c2) / ((f1 * f1 + f2 * f2 + c1) * (vars + c2))
    }
}
