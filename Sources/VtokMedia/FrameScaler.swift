// Decoded AVFrame (any pixel format) -> packed RGB24 at the planned size, via swscale.
// Cropping is done the way FFmpeg's crop filter does it: by offsetting the plane pointers.
import CFFmpeg

/// The swscale interpolation used when resizing.
public enum ScalingAlgorithm: Hashable, Sendable {
    case bilinear
    /// Area averaging: the better choice for large downscales.
    case area

    var swsFlags: Int32 {
        switch self {
        case .bilinear: return SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT
        case .area: return SWS_AREA | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT
        }
    }
}

/// Owns one SwsContext for a fixed (source size, pixel format, plan). Not thread-safe.
final class FrameScaler {
    let source: FrameSize
    let pixelFormat: AVPixelFormat
    let plan: ScalePlan
    private let context: OpaquePointer
    /// Byte offsets into each plane for the crop (FFmpeg's crop filter arithmetic).
    private let planeOffsets: [Int]
    private let cropRows: [Int]

    init(source: FrameSize, pixelFormat: AVPixelFormat, plan: ScalePlan, algorithm: ScalingAlgorithm,
         fullRange: Bool, colorspace: AVColorSpace = AVCOL_SPC_UNSPECIFIED) throws(MediaError) {
        self.source = source
        self.pixelFormat = pixelFormat
        self.plan = plan
        guard let desc = av_pix_fmt_desc_get(pixelFormat),
              desc.pointee.flags & UInt64(AV_PIX_FMT_FLAG_HWACCEL) == 0 else {
            throw MediaError.ffmpeg(FFmpegError(function: "av_pix_fmt_desc_get", code: vtok_averror(EINVAL)))
        }
        let crop = plan.crop
        let hsub = Int(desc.pointee.log2_chroma_w), vsub = Int(desc.pointee.log2_chroma_h)
        var maxStep = [Int32](repeating: 0, count: 4)
        maxStep.withUnsafeMutableBufferPointer { av_image_fill_max_pixsteps($0.baseAddress, nil, desc) }
        let isCropped = crop.x != 0 || crop.y != 0
        if isCropped && desc.pointee.flags & UInt64(AV_PIX_FMT_FLAG_BITSTREAM) != 0 {
            // Bit-packed formats (monow, ...) cannot be cropped by pointer offsets.
            throw MediaError.invalidSize("cannot crop pixel format \(String(cString: desc.pointee.name))")
        }
        // Offsets per plane: plane 0 (and alpha 3) full resolution, planes 1 and 2 subsampled.
        var offsets = [Int](repeating: 0, count: 4), rows = [Int](repeating: 0, count: 4)
        for plane in 0..<4 {
            let chroma = plane == 1 || plane == 2
            rows[plane] = chroma ? crop.y >> vsub : crop.y
            offsets[plane] = chroma ? (crop.x * Int(maxStep[plane])) >> hsub : crop.x * Int(maxStep[plane])
        }
        planeOffsets = offsets
        cropRows = rows
        guard let ctx = sws_getContext(Int32(crop.width), Int32(crop.height), pixelFormat,
                                       Int32(plan.output.width), Int32(plan.output.height), AV_PIX_FMT_RGB24,
                                       algorithm.swsFlags, nil, nil, nil) else {
            throw MediaError.ffmpeg(FFmpegError(function: "sws_getContext", code: vtok_averror(EINVAL)))
        }
        context = ctx
        Self.setSourceColour(ctx, colorspace: colorspace, fullRange: fullRange)
    }

    deinit { sws_freeContext(context) }

    /// Converts `frame` (which must have this scaler's source size and format) to (h, w, 3) RGB24.
    func scale(_ frame: UnsafePointer<AVFrame>) throws(MediaError) -> [UInt8] {
        let out = plan.output
        let f = frame.pointee
        let srcData: [UnsafePointer<UInt8>?] = withUnsafeBytes(of: f.data) { raw in
            let planes = raw.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)
            return (0..<4).map { i in
                guard let base = planes[i] else { return nil }
                let linesize = withUnsafeBytes(of: f.linesize) { $0.load(fromByteOffset: i * 4, as: Int32.self) }
                return UnsafePointer(base + cropRows[i] * Int(linesize) + planeOffsets[i])
            }
        }
        let srcStride: [Int32] = withUnsafeBytes(of: f.linesize) { Array($0.bindMemory(to: Int32.self).prefix(4)) }
        var pixels = [UInt8](repeating: 0, count: out.width * out.height * 3)
        var dstStride: [Int32] = [Int32(out.width * 3), 0, 0, 0]
        let rows = pixels.withUnsafeMutableBufferPointer { dst -> Int32 in
            var dstData: [UnsafeMutablePointer<UInt8>?] = [dst.baseAddress, nil, nil, nil]
            return sws_scale(context, srcData, srcStride, 0, Int32(plan.crop.height), &dstData, &dstStride)
        }
        if rows < 0 { throw MediaError.ffmpeg(FFmpegError(function: "sws_scale", code: rows)) }
        return pixels
    }

    /// Tells swscale the source's YUV matrix and range, as FFmpeg's scale filter does: without it every source
    /// is read as BT.601 (HD video, tagged BT.709, comes out with shifted colours) and JPEG-range sources
    /// (yuvj*, cameras' MJPEG) as limited range (blacks turn grey). An unspecified matrix stays BT.601.
    /// sws_getCoefficients takes AVColorSpace values (its table is indexed by them).
    private static func setSourceColour(_ ctx: OpaquePointer, colorspace: AVColorSpace, fullRange: Bool) {
        var invTable: UnsafeMutablePointer<Int32>?, table: UnsafeMutablePointer<Int32>?
        var srcRange: Int32 = 0, dstRange: Int32 = 0, brightness: Int32 = 0, contrast: Int32 = 0, saturation: Int32 = 0
        guard sws_getColorspaceDetails(ctx, &invTable, &srcRange, &table, &dstRange,
                                       &brightness, &contrast, &saturation) >= 0 else { return }
        let known = colorspace != AVCOL_SPC_UNSPECIFIED && colorspace != AVCOL_SPC_RGB
            && colorspace.rawValue < AVCOL_SPC_NB.rawValue
        guard known || fullRange else { return }
        let matrix = known ? UnsafeMutablePointer(mutating: sws_getCoefficients(Int32(colorspace.rawValue))) : invTable
        _ = sws_setColorspaceDetails(ctx, matrix, fullRange ? 1 : srcRange, table, dstRange, brightness, contrast,
                                     saturation)
    }
}
