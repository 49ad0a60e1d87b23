// What happens to each decoded picture: limits, size changes, timestamps, scaling, resampling.
import CFFmpeg

/// Scaled RGB24 pixels with their size, as they wait in the resampler.
struct ScaledPicture {
    var size: FrameSize
    var pixels: [UInt8]   // (h, w, 3) RGB24
}

extension MediaReader {
    func checkPixels(_ size: FrameSize) throws {
        if size.pixelCount > options.maxPixels { throw MediaError.tooManyPixels(size: size, limit: options.maxPixels) }
    }

    /// Handles one decoded frame (the caller unrefs it).
    func handle(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        diagnostics.decodedFrames += 1
        let f = frame.pointee
        if f.flags & AV_FRAME_FLAG_CORRUPT != 0 || f.decode_error_flags != 0 { diagnostics.corruptFrames += 1 }
        let size = FrameSize(width: Int(f.width), height: Int(f.height))
        try checkPixels(size)

        let raw = f.best_effort_timestamp == vtok_nopts_value() ? nil : f.best_effort_timestamp
        let previous = timestamps.last
        let pts = timestamps.next(raw)
        if let previous, pts &- previous > 2 * timestamps.frameDuration { diagnostics.timestampGaps += 1 }
        diagnostics.repairedTimestamps = timestamps.repaired

        let decodedFormat = AVPixelFormat(rawValue: f.format)
        let pixelFormat = Self.unJPEG(decodedFormat)
        var sizeChange: (old: FrameSize, new: FrameSize)?
        if scaler == nil || scaler?.source != size || scaler?.pixelFormat != pixelFormat {
            if let old = scaler?.source, old != size {
                sizeChange = (Self.turned(old, info.appliedQuarterTurns), Self.turned(size, info.appliedQuarterTurns))
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
        let picture = ScaledPicture(size: Self.turned(scaler.plan.output, turns),
                                    pixels: Self.turn(try scaler.scale(frame), size: scaler.plan.output, quarters: turns))

        if let change = sizeChange {
            // Everything of the old size goes out first, then the notice, then the new frames.
            if var r = resampler {
                enqueue(r.flush())
                resampler = r
            }
            queue.append(.sizeChange(old: change.old, new: change.new))
        }
        if var r = resampler {
            enqueue(r.push(picture, pts: pts))
            resampler = r
        } else {
            enqueue([(picture, pts)])
        }
    }

    /// Wraps scaled pictures into numbered frames and queues them.
    func enqueue(_ outputs: [(item: ScaledPicture, pts: Int64)]) {
        for (picture, pts) in outputs {
            queue.append(.frame(VideoFrame(width: picture.size.width, height: picture.size.height,
                                           pixels: picture.pixels, pts: pts, index: nextIndex)))
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
