// The numbers of `vtok compare`: both videos read frame by frame at the reference's size, PSNR/SSIM per frame,
// their means overall and by position within the latent group, and how they are printed and plotted.
import Foundation
import VtokMedia

struct FrameScore {
    var frame: Int
    /// The latent frame that covers this frame, and this frame's place in it (0 for frame 0, then 0..<T).
    var latent: Int
    var position: Int
    var mse: Double
    var psnr: Double { FrameMetrics.psnr(mse: mse) }
    var ssim: Double
}

struct Comparison {
    var reference: String
    var reconstruction: String
    var size: FrameSize
    var reconstructionSize: FrameSize
    var temporalFactor: Int
    var frames: [FrameScore] = []
    var referenceFrames = 0
    var reconstructionFrames = 0

    /// Frame `i`'s latent frame and position within it: frame 0 alone, then groups of `t`.
    static func group(of i: Int, t: Int) -> (latent: Int, position: Int) {
        i == 0 ? (0, 0) : ((i - 1) / t + 1, (i - 1) % t)
    }

    static func open(_ path: String, _ options: MediaReaderOptions, role: String) throws -> MediaReader {
        do { return try MediaReader(path: path, options: options) } catch {
            throw CLIError("cannot read the \(role) '\(path)': \(UserMessage.reading(error))")
        }
    }

    static func run(reference: String, reconstruction: String, temporalFactor: Int, meter: ProgressMeter) throws -> Comparison {
        var refOptions = MediaReaderOptions(size: .source)
        refOptions.live = false
        let ref = try open(reference, refOptions, role: "reference")
        let size = ref.info.sourceSize
        var recOptions = MediaReaderOptions(size: .exact(size))
        recOptions.spatialFactor = 1
        recOptions.live = false
        let rec = try open(reconstruction, recOptions, role: "reconstruction")
        var c = Comparison(reference: reference, reconstruction: reconstruction, size: size,
                           reconstructionSize: rec.info.sourceSize, temporalFactor: temporalFactor)
        meter.total = ref.info.expectedFrames
        func next(_ r: MediaReader, _ role: String, _ path: String) throws -> VideoFrame? {
            let event: MediaEvent?
            do { event = try r.next() } catch {
                throw CLIError("cannot read the \(role) '\(path)': \(UserMessage.reading(error))")
            }
            switch event {
            case .frame(let frame)?: return frame
            case .sizeChanged(let change)?:
                throw CLIError("the \(role) '\(path)' changes its frame size to \(change.new) mid-stream: compare each part on its own")
            case nil: return nil
            }
        }
        var a = try next(ref, "reference", reference), b = try next(rec, "reconstruction", reconstruction)
        while let fa = a, let fb = b {
            let g = group(of: c.frames.count, t: temporalFactor)
            c.frames.append(FrameScore(frame: c.frames.count, latent: g.latent, position: g.position,
                                       mse: FrameMetrics.mse(fa.pixels, fb.pixels),
                                       ssim: FrameMetrics.ssim(fa.pixels, fb.pixels, width: fa.width, height: fa.height)))
            meter.update(c.frames.count)
            a = try next(ref, "reference", reference)
            b = try next(rec, "reconstruction", reconstruction)
        }
        meter.finish()
        c.referenceFrames = c.frames.count + (a == nil ? 0 : 1)
        c.reconstructionFrames = c.frames.count + (b == nil ? 0 : 1)
        while try next(ref, "reference", reference) != nil { c.referenceFrames += 1 }
        while try next(rec, "reconstruction", reconstruction) != nil { c.reconstructionFrames += 1 }
        guard !c.frames.isEmpty else { throw CLIError("no frames to compare") }
        return c
    }

    /// (PSNR of the mean MSE, mean SSIM) over `scores`.
    static func mean(_ scores: [FrameScore]) -> (psnr: Double, ssim: Double) {
        guard !scores.isEmpty else { return (.nan, .nan) }
        let n = Double(scores.count)
        return (FrameMetrics.psnr(mse: scores.reduce(0) { $0 + $1.mse } / n), scores.reduce(0) { $0 + $1.ssim } / n)
    }

    var byPosition: [(position: Int, scores: [FrameScore])] {
        (0..<temporalFactor).map { p in (p, frames.filter { $0.position == p && $0.frame > 0 }) }.filter { !$0.scores.isEmpty }
    }

    func json() -> [String: Any] {
        let m = Self.mean(frames)
        return [
            "reference": reference, "reconstruction": reconstruction,
            "size": "\(size)", "reconstruction_size": "\(reconstructionSize)",
            "temporal_factor": temporalFactor,
            "frames": frames.count, "reference_frames": referenceFrames, "reconstruction_frames": reconstructionFrames,
            "mean": ["psnr_db": m.psnr, "ssim": m.ssim],
            "first_frame": ["psnr_db": frames[0].psnr, "ssim": frames[0].ssim],
            "by_position": byPosition.map { p, s -> [String: Any] in
                let pm = Self.mean(s)
                return ["position": p, "frames": s.count, "psnr_db": pm.psnr, "ssim": pm.ssim]
            },
            "per_frame": frames.map { f -> [String: Any] in
                ["frame": f.frame, "latent": f.latent, "position": f.position, "psnr_db": f.psnr, "ssim": f.ssim, "mse": f.mse]
            },
        ]
    }

    func table() -> String {
        func db(_ x: Double) -> String { x.isFinite ? String(format: "%7.2f", x) : "    inf" }
        var lines = [
            "reference       \(reference) (\(size), \(referenceFrames) frames)",
            "reconstruction  \(reconstruction) (\(reconstructionSize)\(reconstructionSize == size ? "" : ", scaled to \(size)"), "
                + "\(reconstructionFrames) frames)",
            "",
            "frame  latent  position  PSNR dB    SSIM",
        ]
        for f in frames {
            lines.append(String(format: "%5d  %6d  %8d  %@  %6.4f", f.frame, f.latent, f.position, db(f.psnr), f.ssim))
        }
        let m = Self.mean(frames)
        lines.append(String(format: "mean (%d frames)          %@  %6.4f", frames.count, db(m.psnr), m.ssim))
        let parts = byPosition.map { p, s -> String in
            let pm = Self.mean(s)
            return String(format: "%d: %@ dB %.4f", p, db(pm.psnr).trimmingCharacters(in: .whitespaces), pm.ssim)
        }
        lines.append("by position in the group of \(temporalFactor) (frame 0 aside): " + parts.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    /// Per-frame PSNR and SSIM (and the code-usage histogram under it when `counts` is given).
    func plot(counts: [Int]?, tokensName: String?) -> Plot {
        let m = Self.mean(frames)
        let meanLine = m.psnr.isFinite ? m.psnr : 99                        // identical videos: drawn at 99 dB
        let data = frames.map { f in
            String(format: "%d %.3f %.5f %d", f.frame, f.psnr.isFinite ? f.psnr : 99, f.ssim, f.position)
        }.joined(separator: "\n")
        let title = "\(reconstruction) against \(reference)"
        var body = """
            $frames << EOD
            \(data)
            EOD
            set title '\(Plot.quote("\(title): mean PSNR \(String(format: "%.2f", m.psnr)) dB, SSIM \(String(format: "%.3f", m.ssim))"))'
            set xlabel 'frame'
            set ylabel 'PSNR (dB)'
            set y2label 'SSIM'
            set ytics nomirror
            set y2tics
            set grid ytics lc rgb '#dddddd'
            set key bottom right box opaque
            set xrange [0:\(max(1, frames.count - 1))]
            plot $frames using 1:2 with linespoints pt 7 ps 0.4 lw 1.5 lc rgb '#2a6fb0' title 'PSNR per frame', \\
                 \(String(format: "%.3f", meanLine)) with lines dt 2 lc rgb '#2a6fb0' title 'mean PSNR', \\
                 $frames using 1:3 axes x1y2 with lines lw 1 lc rgb '#d0661f' title 'SSIM per frame (right axis)'
            unset y2tics
            unset y2label
            set ytics mirror
            set xrange [*:*]
            """
        var plot = Plot(body: "")
        if let counts {
            plot.height = 640
            body = "set multiplot layout 2,1\n" + body + "\n" + Plot.usageBody(counts: counts, title: tokensName ?? "tokens")
                + "\nunset multiplot"
        }
        plot.body = body
        return plot
    }
}
