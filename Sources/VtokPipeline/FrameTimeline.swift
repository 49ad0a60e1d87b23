// The timestamps of the frames an encoder session holds, looked up by the frames each latent says it covers.
import VtokEngine
import VtokMedia

/// The engine takes pixels only; each `EncodedLatent` names the frames it covers (`firstFrame`, `frameCount`, in
/// the session's numbering). The timeline keeps the pts of every frame pushed into the current session and hands a
/// latent exactly the pts of its own frames, so a TOKENS packet's timestamps are those of the frames it encodes.
struct FrameTimeline {
    /// Session index of `pts[0]`.
    private var base = 0
    private var pts: [Int64] = []   // (frames pushed, not yet covered by a latent)

    /// Records the next frame pushed into the session (session index `base + pts.count`).
    mutating func append(_ frame: VideoFrame) {
        pts.append(frame.pts)
    }

    /// The pts of the frames `latent` covers; frames before its last one are dropped.
    mutating func take(_ latent: EncodedLatent) -> [Int64] {
        take(first: latent.firstFrame, count: latent.frameCount)
    }

    /// The pts of session frames `first ..< first + count` (those pushed); every frame before the last is dropped.
    mutating func take(first: Int, count: Int) -> [Int64] {
        let lower = max(first, base), upper = min(first + max(0, count), base + pts.count)
        guard lower < upper else { return [] }
        let covered = Array(pts[(lower - base)..<(upper - base)])
        pts.removeFirst(upper - base)
        base = upper
        return covered
    }

    /// A new session starts counting at 0.
    mutating func reset() {
        base = 0
        pts.removeAll()
    }
}
