#ifndef VTOK_CFFMPEG_SHIM_H
#define VTOK_CFFMPEG_SHIM_H
#include <stdio.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>

// libavdevice is not linked: VtokMedia's MediaDevices opens it at run time, by the file name of the version
// these headers describe (e.g. "libavdevice.so.59"); its header is included for that version only.
#define VTOK_STRINGIFY2(x) #x
#define VTOK_STRINGIFY(x) VTOK_STRINGIFY2(x)
static inline const char *vtok_avdevice_soname(void) { return "libavdevice.so." VTOK_STRINGIFY(LIBAVDEVICE_VERSION_MAJOR); }

// AVERROR is a macro: Swift cannot import it.
static inline int vtok_averror(int e) { return AVERROR(e); }
// AVERROR_EOF is a macro built from FFERRTAG.
static inline int vtok_averror_eof(void) { return AVERROR_EOF; }
// AVERROR_INVALIDDATA is a macro built from FFERRTAG.
static inline int vtok_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
// AV_NOPTS_VALUE is a macro cast to int64_t.
static inline int64_t vtok_nopts_value(void) { return AV_NOPTS_VALUE; }

// --- Log routing -------------------------------------------------------------------------------
// av_log_set_callback takes a callback with a va_list, which Swift cannot receive. This trampoline
// formats the line in C (av_log_format_line2, i.e. vsnprintf plus FFmpeg's "[ctx @ 0x..]" prefix)
// and hands the finished string to a plain C function pointer that Swift registers, with the `opaque`
// of the AVFormatContext or AVCodecContext that logged it (NULL for any other context): that is how a
// line logged on one of FFmpeg's decoder threads is told apart from another reader's.
//
// The sink lives in a function-local static of a `static inline` function, so each translation
// unit that calls these wrappers gets its own copy: only VtokMedia's MediaLog.swift may call them.
typedef void (*vtok_log_sink)(int level, const char *line, void *owner);

static inline vtok_log_sink *vtok_log_sink_slot(void) {
    static vtok_log_sink sink = NULL;
    return &sink;
}

// Whether FFmpeg's default printer (stderr) also gets every line: on while no Swift handler is set.
static inline int *vtok_log_forward_slot(void) {
    static int forward = 1;
    return &forward;
}

// The `opaque` of the context behind `avcl` when it is an AVFormatContext or AVCodecContext (whose
// first member is their AVClass pointer, as av_log requires of every context), else NULL.
static inline void *vtok_log_owner(void *avcl) {
    if (avcl == NULL) return NULL;
    const AVClass *cls = *(const AVClass **)avcl;
    if (cls == avcodec_get_class()) return ((AVCodecContext *)avcl)->opaque;
    if (cls == avformat_get_class()) return ((AVFormatContext *)avcl)->opaque;
    return NULL;
}

// Error lines always reach the sink (readers collect them whatever the level); others only up to
// av_log_get_level(), as FFmpeg's own printer does.
static inline void vtok_log_trampoline(void *avcl, int level, const char *fmt, va_list vl) {
    if (*vtok_log_forward_slot()) {
        va_list copy;
        va_copy(copy, vl);
        av_log_default_callback(avcl, level, fmt, copy);
        va_end(copy);
    }
    vtok_log_sink sink = *vtok_log_sink_slot();
    if (sink == NULL || (level > av_log_get_level() && level > AV_LOG_ERROR)) return;
    char line[1024];
    int print_prefix = 1;
    av_log_format_line2(avcl, level, fmt, vl, line, (int)sizeof line, &print_prefix);
    sink(level, line, vtok_log_owner(avcl));
}

// Registers `sink`; `forward` keeps FFmpeg's default stderr printer running as well.
static inline void vtok_log_install(vtok_log_sink sink, int forward) {
    *vtok_log_sink_slot() = sink;
    *vtok_log_forward_slot() = forward;
    av_log_set_callback(sink ? vtok_log_trampoline : av_log_default_callback);
}
#endif
