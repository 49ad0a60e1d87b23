// What `vtok info` reports about a token stream: header, counts, duration, bit rate, codebook use.
import Foundation
import VtokStream

struct StreamStats {
    var header: StreamHeader?
    var segments = 0
    var latentFrames = 0
    var frames = 0
    var firstPTS: Int64?
    var lastPTS: Int64?
    var counts: [Int] = []
    var end: EndInfo?
    var corruptBytes = 0
    var missingPackets: UInt64 = 0
    var unknownPackets = 0
    var truncated = false

    mutating func add(_ event: StreamEvent) {
        switch event {
        case .header(let h):
            if header?.segment != h.segment || header?.streamID != h.streamID { segments += 1 }
            if counts.count != h.vocabularySize { counts = [Int](repeating: 0, count: h.vocabularySize) }
            header = h
        case .tokens(let t):
            latentFrames &+= 1
            frames &+= t.pts.count
            if firstPTS == nil { firstPTS = t.pts.first }
            lastPTS = t.pts.last
            for tok in t.tokens where Int(tok) < counts.count { counts[Int(tok)] += 1 }
        case .end(let e):
            end = e
        case .skipped(let n, _):
            corruptBytes = corruptBytes.addingSaturating(n)
        case .discontinuity(_, let missing):
            missingPackets = missingPackets.addingSaturating(missing)   // sequences are any u64
        case .unknownPacket:
            unknownPackets += 1
        }
    }

    /// The one line for a stream that is truncated or had corrupt bytes (exit 1), nil when it is intact.
    var damage: String? {
        guard truncated || corruptBytes > 0 else { return nil }
        var parts: [String] = []
        if corruptBytes > 0 { parts.append("\(corruptBytes) corrupt bytes skipped") }
        if missingPackets > 0 { parts.append("\(missingPackets) packets missing") }
        if truncated { parts.append("truncated (no END packet)") }
        return "damaged token stream: " + parts.joined(separator: ", ")
    }

    var tokens: Int { counts.reduce(0, +) }
    var distinctCodes: Int { counts.filter { $0 > 0 }.count }

    /// Seconds from the first frame's pts to the end of the last frame (one frame interval after its pts).
    var durationSeconds: Double? {
        guard let h = header, let a = firstPTS, let b = lastPTS else { return nil }
        // pts are any i64 and the rate may be 0/1 (unknown): Double arithmetic, and nil unless finite.
        let tb = Double(h.timeBase.num) / Double(h.timeBase.den)
        let frame = h.frameRate.num > 0 ? Double(h.frameRate.den) / Double(h.frameRate.num) : 0
        let d = (Double(b) - Double(a)) * tb + frame
        return d.isFinite ? d : nil
    }

    /// Shannon entropy of the token distribution, in bits per token.
    var entropyBits: Double {
        let n = Double(tokens)
        guard n > 0 else { return 0 }
        return counts.reduce(0.0) { acc, c in c == 0 ? acc : acc - Double(c) / n * log2(Double(c) / n) }
    }

    func json() -> [String: Any] {
        var o: [String: Any] = ["segments": segments, "latent_frames": latentFrames, "frames": frames,
                                "tokens": tokens, "distinct_codes": distinctCodes, "entropy_bits": entropyBits,
                                "corrupt_bytes": corruptBytes, "missing_packets": missingPackets,
                                "unknown_packets": unknownPackets, "truncated": truncated]
        if let h = header {
            let bits = Double(h.levels.count) > 0 ? log2(Double(h.vocabularySize)).rounded(.up) : 0
            o["header"] = ["model": h.modelName, "weights_sha256": h.weightsSHA256.map { String(format: "%02x", $0) }.joined(),
                           "encoder_sha256": h.encoderSHA256.map { $0.map { String(format: "%02x", $0) }.joined() } as Any? ?? NSNull(),
                           "version": "\(h.versionMajor).\(h.versionMinor)", "levels": h.levels,
                           "vocabulary": h.vocabularySize, "temporal_factor": h.temporalFactor,
                           "spatial_factor": h.spatialFactor, "latent_grid": [h.latentHeight, h.latentWidth],
                           "source_size": [h.sourceSize.width, h.sourceSize.height],
                           "model_size": [h.modelSize.width, h.modelSize.height],
                           "frame_rate": "\(h.frameRate.num)/\(h.frameRate.den)",
                           "time_base": "\(h.timeBase.num)/\(h.timeBase.den)",
                           "stream_id": h.streamID.map { String(format: "%02x", $0) }.joined(),
                           "continuous_latents": h.hasLatents] as [String: Any]
            o["utilisation"] = Double(distinctCodes) / Double(max(h.vocabularySize, 1))
            o["bits_per_token"] = bits
            if let d = durationSeconds, d > 0 {
                o["duration_s"] = d
                o["token_kbps"] = Double(tokens) * bits / d / 1000
            }
        }
        if let e = end {
            o["end"] = ["reason": e.reason.description, "message": e.message, "frames_in": e.framesIn,
                        "latent_frames_out": e.latentFramesOut] as [String: Any]
        }
        return o
    }
}
