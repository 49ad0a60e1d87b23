// VtokMedia: bytes -> frames and frames -> bytes, on FFmpeg 5.1. No AV* type appears in the public API.
//
//   file / URL / pipe / camera                                   mp4 / mkv / nut / y4m / stdout
//        |                                                                  ^
//   MediaReader+Open   avformat_open_input, best video stream,              | MediaWriter+Encode
//        |             decoder (live: small probe, slice threads)           |   libx264 / mpeg4 / raw
//   MediaReader        av_read_frame -> avcodec_send_packet/receive_frame   | MediaWriter
//        |                                                                  |   RGB24 -> yuv420p
//   MediaReader+Frames TimestampSanitizer, size change, maxPixels           |
//        |                                                                  |
//   FrameScaler        crop (SizePolicy) + swscale -> RGB24 (h, w, 3)       |
//        |                                                                  |
//   FrameRateResampler optional constant output rate                       |
//        v                                                                  |
//   VideoFrame  ------------------------ the engine -------------------------+
//
// Errors: MediaError (each FFmpeg failure carries FFmpegError: function, code, av_strerror text).
// Logging: MediaLog routes FFmpeg's av_log through a Swift handler (default: errors only, on stderr).
