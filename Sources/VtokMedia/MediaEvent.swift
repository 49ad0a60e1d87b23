// What a reader gives: the next frame, or the news that the picture size changed before the frames that follow.

/// The picture size changed mid-stream (a camera switching modes, concatenated streams). Sizes are those of the
/// upright source picture; `MediaReader.info` already describes the new size when this arrives.
public struct FrameSizeChange: Sendable, Hashable, CustomStringConvertible {
    public var old: FrameSize
    public var new: FrameSize

    public init(old: FrameSize, new: FrameSize) {
        self.old = old
        self.new = new
    }

    public var description: String { "frame size changed mid-stream from \(old) to \(new)" }
}

/// One item of a reader's output, in order: every frame of the old size comes before the size change, every
/// frame of the new size after it.
public enum MediaEvent: Sendable, Equatable {
    case frame(VideoFrame)
    case sizeChanged(FrameSizeChange)

    /// The frame, when this is one.
    public var frame: VideoFrame? {
        if case .frame(let f) = self { return f }
        return nil
    }
}
