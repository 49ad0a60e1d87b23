// FFmpeg's device formats (libavdevice: video4linux2, x11grab, lavfi, v4l2 output, ...), loaded the first time an
// input or output names one. libavdevice brings about 80 more shared libraries (SDL, X11, PulseAudio, JACK,
// libavfilter and what it needs, a second OpenBLAS); linked at build time, they made every vtok process start
// 0.07-0.1 s later, camera or not (docs/performance.md, session 11).
import CFFmpeg
import Glibc

enum MediaDevices {
    /// Whether the device formats are registered with libavformat; the first read opens libavdevice and
    /// registers them. Thread-safe (a global's lazy initialiser runs once).
    static var available: Bool { load == nil }

    /// Why they are not: dlopen's or dlsym's words. nil once registered.
    static var failure: String? { load }

    /// The demuxer called `name`: libavformat's own, else a device's (loading them).
    static func inputFormat(named name: String) -> UnsafePointer<AVInputFormat>? {
        if let found = av_find_input_format(name) { return found }
        guard available else { return nil }
        return av_find_input_format(name)
    }

    /// The error for a forced format name FFmpeg does not know: `devicesUnavailable` when the device formats
    /// could not be loaded (the name may be a device this machine lacks), else `unknownFormat`.
    static func unknownFormatError(_ name: String) -> MediaError {
        if let reason = failure { return .devicesUnavailable(format: name, reason: reason) }
        return .unknownFormat(name)
    }

    /// Whether `format` is a video capture device (or a generic device input, as lavfi): the formats
    /// libavdevice's av_input_video_device_next lists, told by their class category.
    static func isVideoInputDevice(_ format: UnsafePointer<AVInputFormat>) -> Bool {
        guard let c = format.pointee.priv_class?.pointee.category else { return false }
        return c == AV_CLASS_CATEGORY_DEVICE_VIDEO_INPUT || c == AV_CLASS_CATEGORY_DEVICE_INPUT
    }

    private static let load: String? = {
        let name = String(cString: vtok_avdevice_soname())
        guard let library = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            return dlerror().map { String(cString: $0) } ?? "\(name): cannot be opened"
        }
        guard let symbol = dlsym(library, "avdevice_register_all") else {
            return "\(name): no avdevice_register_all"
        }
        typealias Register = @convention(c) () -> Void
        unsafeBitCast(symbol, to: Register.self)()       // the library stays open: the formats live in it
        return nil
    }()
}
