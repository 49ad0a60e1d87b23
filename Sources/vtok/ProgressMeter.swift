// Progress on stderr for long commands, only when stderr is a terminal and not under --quiet:
//   decode  120/372 frames  32%  31.8 fps  ETA 0:08
// The total comes from the input's duration (encode, compare) or the share of a file's bytes read (decode).
import Foundation

final class ProgressMeter {
    private let label: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    /// Frames expected, when the input's duration is known.
    var total: Int?
    /// The total is an estimate (decode: from the file's size); shown as "~".
    var estimated = false

    init(_ label: String, total: Int? = nil, quiet: Bool) {
        self.label = label
        self.total = total.flatMap { $0 > 0 ? $0 : nil }
        enabled = !quiet && Terminal.showsProgress
    }

    /// `done` frames so far; `fraction` of the work when it is known otherwise (bytes of a file read).
    func update(_ done: Int, fraction: Double? = nil, extra: String = "") {
        guard enabled else { return }
        last = (done, fraction, extra)
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        draw(now)
    }

    private var last: (done: Int, fraction: Double?, extra: String)?

    private func draw(_ now: Date) {
        guard let (done, fraction, extra) = last else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(("\r" + Self.line(label: label, done: done, total: total, fraction: fraction,
                                                             seconds: now.timeIntervalSince(start), extra: extra,
                                                             estimated: estimated)
                                             + "\u{1B}[K").utf8))
    }

    /// Ends the progress line (a newline), if one was drawn.
    func finish() {
        guard enabled, last != nil else { return }
        if total != nil, let l = last { total = l.done }   // at the end the count is known
        estimated = false
        draw(Date())                                   // the final count, which throttling may have skipped
        FileHandle.standardError.write(Data("\n".utf8))
        last = nil
    }

    /// The text of one progress line (pure, for tests).
    static func line(label: String, done: Int, total: Int?, fraction: Double?, seconds: Double, extra: String = "",
                     estimated: Bool = false) -> String {
        let rate = Double(done) / max(seconds, 1e-6)
        var parts = [label]
        var share = fraction
        if let total {
            parts.append("\(done)/\(estimated ? "~" : "")\(max(done, total)) frames")
            share = Double(done) / Double(max(done, total))
        } else {
            parts.append("\(done) frames")
        }
        if let share { parts.append(String(format: "%3.0f%%", 100 * min(1, share))) }
        parts.append(String(format: "%.1f fps", rate))
        if let share, share > 0.001, share < 1 {
            let left = Int((seconds / share - seconds).rounded())
            parts.append(String(format: "ETA %d:%02d", left / 60, left % 60))
        }
        if !extra.isEmpty { parts.append(extra) }
        return parts.joined(separator: "  ")
    }
}
