// How long the input is, when the container says: for progress lines (frames done of the total) and ETAs.
import CFFmpeg

extension MediaReader {
    /// The stream's duration in seconds, else the container's; nil when neither is known (pipes, devices).
    static func durationSeconds(format: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>) -> Double? {
        let tb = stream.pointee.time_base
        if stream.pointee.duration > 0, stream.pointee.duration != vtok_nopts_value(), tb.num > 0, tb.den > 0 {
            return Double(stream.pointee.duration) * Double(tb.num) / Double(tb.den)
        }
        let d = format.pointee.duration
        if d > 0, d != vtok_nopts_value() { return Double(d) / Double(AV_TIME_BASE) }
        return nil
    }
}

extension MediaInfo {
    /// The number of frames the input should yield, from its duration and frame rate; nil when unknown.
    public var expectedFrames: Int? {
        guard let d = durationSeconds, d > 0, frameRate.num > 0, frameRate.den > 0 else { return nil }
        return max(1, Int((d * Double(frameRate.num) / Double(frameRate.den)).rounded()))
    }
}
