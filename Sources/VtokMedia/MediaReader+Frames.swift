// What happens to each decoded picture: limits, size changes, timestamps, scaling, resampling.
import CFFmpeg

extension MediaReader {
    func checkPixels(_ size: FrameSize) throws(MediaError) {
        if size.pixelCount > options.maxPixels { throw MediaError.tooManyPixels(size: size, limit: options.maxPixels) }
    }

    /// Handles one decoded frame (the caller unrefs it).
    func handle(_ frame: UnsafeMutablePointer<AVFrame>) throws(MediaError) {
        tally.decodedFrames += 1
        let f = frame.pointee
        if f.flags & AV_FRAME_FLAG_CORRUPT != 0 || f.decode_error_flags != 0 { tally.corruptFrames += 1 }
        let size = FrameSize(width: Int(f.width), height: Int(f.height))
        try checkPixels(size)

        let raw = f.best_effort_timestamp == vtok_nopts_value() ? nil : f.best_effort_timestamp
        let previous = timestamps.last
        let pts = timestamps.next(raw)
        if let previous, pts &- previous > 2 * timestamps.frameDuration { tally.timestampGaps += 1 }
        tally.repairedTimestamps = timestamps.repaired

        let decodedFormat = AVPixelFormat(rawValue: f.format)
        let pixelFormat = Self.unJPEG(decodedFormat)
        var sizeChange: FrameSizeChange?
        if scaler == nil || scaler?.source != size || scaler?.pixelFormat != pixelFormat {
            if let old = scaler?.source, old != size {
                sizeChange = FrameSizeChange(old: Self.turned(old, info.appliedQuarterTurns),
                                             new: Self.turned(size, info.appliedQuarterTurns))
            }
            // Sizes are planned for the upright picture; the scaler works on the stored one, then it is turned.
            let turns = info.appliedQuarterTurns
            let upright = Self.turned(size, turns)
            let plan = try SizePolicy.plan(source: upright, request: options.size, factor: options.spatialFactor,
                                           crop: options.crop)
            let fullRange = f.color_range == AVCOL_RANGE_JPEG || decodedFormat != pixelFormat
            scaler = try FrameScaler(source: size, pixelFormat: pixelFormat, plan: Self.stored(plan, turns),
                                     algorithm: options.scaling, fullRange: fullRange, colorspace: f.colorspace)
            info.sourceSize = upright
            info.outputSize = plan.output
        }
        guard let scaler else { return }
        let turns = info.appliedQuarterTurns
        let shown = Self.turned(scaler.plan.output, turns)
        // Numbered when it leaves (the resampler may drop or repeat it); stamped in the stream's time base.
        let picture = VideoFrame(width: shown.width, height: shown.height,
                                 pixels: Self.turn(try scaler.scale(frame), size: scaler.plan.output, quarters: turns),
                                 pts: pts, timeBase: streamTimeBase, index: 0)

        if let change = sizeChange {
            // Everything of the old size goes out first, then the notice, then the new frames.
            if var r = resampler {
                enqueue(r.flushItems())
                resampler = r
            }
            queue.append(.sizeChanged(change))
        }
        if var r = resampler {
            enqueue(r.push(picture))
            resampler = r
        } else {
            enqueue([picture])
        }
    }

    /// Numbers frames in output order and queues them.
    func enqueue(_ frames: [VideoFrame]) {
        for var frame in frames {
            frame.index = nextIndex
            queue.append(.frame(frame))
            nextIndex += 1
        }
    }

    /// yuvj* formats are deprecated in swscale: use the plain format and flag the full range instead.
    static func unJPEG(_ format: AVPixelFormat) -> AVPixelFormat {
        switch format {
        case AV_PIX_FMT_YUVJ420P: return AV_PIX_FMT_YUV420P
        case AV_PIX_FMT_YUVJ422P: return AV_PIX_FMT_YUV422P
        case AV_PIX_FMT_YUVJ444P: return AV_PIX_FMT_YUV444P
        case AV_PIX_FMT_YUVJ440P: return AV_PIX_FMT_YUV440P
        case AV_PIX_FMT_YUVJ411P: return AV_PIX_FMT_YUV411P
        default: return format
        }
    }
}
