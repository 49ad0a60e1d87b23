// VtokMedia: bytes -> frames and frames -> bytes, on FFmpeg 5.1. No AV* type appears in the public API.
//
//   file / URL / pipe / camera                                   mp4 / mkv / nut / y4m / stdout
//        |                                                                  ^
//   MediaReader+Open   avformat_open_input, best video stream,              | MediaWriter+Encode
//        |             decoder (live: small probe, slice threads)           |   libx264 / mpeg4 / raw
//   MediaReader        av_read_frame -> avcodec_send_packet/receive_frame   | MediaWriter
//        |                                                                  |   RGB24 -> yuv420p
//   MediaReader+Frames TimestampSanitizer, size change (an event), maxPixels |
//        |                                                                  |
//   FrameScaler        crop (SizePolicy) + swscale -> RGB24 (h, w, 3)       |
//        |                                                                  |
//   FrameRateResampler optional constant output rate (re-stamps pts)       |
//        v                                                                  |
//   MediaEvent: .frame(VideoFrame: pixels, pts, time base) or .sizeChanged  |
//        v                                                                  |
//     the engine ----------------------------------------------------------+
//
// Errors: every throwing function throws MediaError, nothing else (each FFmpeg failure carries FFmpegError:
// function, code, av_strerror text). A size change is an event, not an error.
// Logging: MediaLog routes FFmpeg's av_log through a Swift handler (default: errors only, on stderr), and gives
// each reader the error lines logged for it (MediaDiagnostics.ffmpegErrors): damage only FFmpeg's log reveals.
