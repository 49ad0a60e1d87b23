// The code-usage histogram of `vtok info --plot`: x is the token index (binned), y the log count.
import Glibc

enum UsagePlot {
    static func render(counts: [Int], width: Int = 800, height: Int = 300) -> [UInt8] {
        var px = [UInt8](repeating: 255, count: width * height * 3)                // (h, w, 3) white
        let margin = 20
        let plotW = width - 2 * margin, plotH = height - 2 * margin
        func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, x < width, y >= 0, y < height else { return }
            let i = (y * width + x) * 3
            px[i] = c.0; px[i + 1] = c.1; px[i + 2] = c.2
        }
        guard !counts.isEmpty else { return PNGEncoder.encode(width: width, height: height, rgb: px) }
        var bins = [Int](repeating: 0, count: plotW)                              // (plotW,)
        for (i, c) in counts.enumerated() { bins[i * plotW / counts.count] += c }
        let top = log1p(Double(bins.max() ?? 1))
        for (x, b) in bins.enumerated() where b > 0 {
            let h = Int(Double(plotH) * log1p(Double(b)) / max(top, 1e-9))
            for y in 0..<h { set(margin + x, height - margin - 1 - y, (40, 90, 170)) }
        }
        for x in margin..<(width - margin) { set(x, height - margin, (0, 0, 0)) }    // axes
        for y in margin...(height - margin) { set(margin - 1, y, (0, 0, 0)) }
        return PNGEncoder.encode(width: width, height: height, rgb: px)
    }
}
