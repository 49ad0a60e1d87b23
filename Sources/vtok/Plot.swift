// The plots of `vtok info --plot` and `vtok compare --plot`, drawn by gnuplot (Debian's gnuplot-nox, pngcairo
// terminal): axes, tick labels, axis titles and a legend come from a maintained plotting program rather than
// hand-set pixels. vtok writes a gnuplot script with the data inline and pipes it to `gnuplot`.
//
// Why gnuplot and not matplotlib: vtok is an installed binary (make install) with no Python environment of its
// own; gnuplot is one apt package, starts in milliseconds, and its pngcairo output with a small palette of flat
// colours compresses to a few tens of KB at 800x500.
import Foundation

typealias PlotError = ToolError

struct Plot {
    /// The gnuplot commands after the terminal and output lines.
    var body: String
    var width = 800
    var height = 360

    /// Runs gnuplot to write the PNG at `path`.
    func write(to path: String) throws {
        let script = """
            set terminal pngcairo size \(width),\(height) font "sans,10" noenhanced
            set output '\(Plot.quote(path))'
            \(body)
            unset output
            """
        try ExternalTool.run("gnuplot", package: "gnuplot-nox", purpose: "--plot", arguments: ["-"], input: script)
    }

    static func quote(_ s: String) -> String { s.replacingOccurrences(of: "'", with: "''") }

    /// Code usage: token index (binned) against the count per bin, log scale.
    static func usage(counts: [Int], title: String) -> Plot {
        Plot(body: usageBody(counts: counts, title: title))
    }

    /// The histogram's gnuplot commands (one panel).
    static func usageBody(counts: [Int], title: String) -> String {
        let bins = min(200, max(1, counts.count))
        var binned = [Int](repeating: 0, count: bins)                     // (bins,)
        for (i, c) in counts.enumerated() { binned[i * bins / max(1, counts.count)] += c }
        let width = Double(max(1, counts.count)) / Double(bins)
        let used = counts.filter { $0 > 0 }.count
        let data = binned.enumerated().map { i, c in String(format: "%.1f %d", (Double(i) + 0.5) * width, c) }
            .joined(separator: "\n")
        return """
            $usage << EOD
            \(data)
            EOD
            set title '\(quote("code usage: \(used) of \(counts.count) codes used (\(title))"))'
            set xlabel 'token index (\(Int(width)) codes per bar)'
            set ylabel 'tokens (log scale)'
            set logscale y
            set yrange [0.8:*]
            set xrange [0:\(counts.count)]
            set style fill solid 0.8 noborder
            set boxwidth \(width * 0.9) absolute
            set grid ytics lc rgb '#dddddd'
            set key top right
            plot $usage using 1:($2 > 0 ? $2 : NaN) with boxes lc rgb '#2a6fb0' title 'tokens per bar'
            unset logscale y
            set yrange [*:*]
            set xrange [*:*]
            unset grid
            """
    }
}
