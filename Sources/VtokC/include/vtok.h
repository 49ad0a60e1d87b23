/* vtok.h: the vtok engine as a C library (libvtok.so, SwiftPM product `vtok`, target VtokC).
 *
 * RGB frames at the model size in, FSQ tokens out, and back. No I/O beyond reading the weights file: the
 * caller decodes and scales video itself (the CLI scales with FFmpeg's bilinear + accurate_rnd +
 * full_chroma_int to 256 on the short side, rounded to the spatial factor); frames given here are used as they
 * are, (height, width, 3) uint8 RGB, row-major, no padding between rows or frames.
 *
 * Threads: a model is immutable once loaded and may be shared by any number of sessions on any threads. A
 * session is single-threaded: a call on a session that another thread is inside returns VTOK_E_BUSY (it never
 * corrupts the session); different sessions run in parallel. Freeing a session or model while another thread
 * uses it is the caller's error. Sessions keep their own reference to the weights, so a model handle may be
 * freed while its sessions live on.
 *
 * Errors: every function that can fail returns a vtok_status; on failure vtok_last_error() gives a one-line
 * message for the calling thread, valid until that thread's next failing call. No input makes the library
 * abort: null pointers, sizes that overflow, short buffers and bad tokens are all reported as statuses.
 *
 * Time (as the CLI): frame 0 alone makes latent 0; each later group of T frames (T = temporal factor) makes one
 * more latent; vtok_encoder_finish completes a partial last group by repeating its last frame. Latent 0 decodes
 * to 1 frame, every later latent to T frames; the caller trims the last group to the true frame count.
 */
#ifndef VTOK_H
#define VTOK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VTOK_ABI_VERSION 1

typedef enum vtok_status {
    VTOK_OK = 0,
    VTOK_E_ARGUMENT = 1,      /* a null pointer, a negative or overflowing count, an unknown backend */
    VTOK_E_CANNOT_READ = 2,   /* the weights file could not be read */
    VTOK_E_MODEL = 3,         /* the weights file is not a valid vtok model */
    VTOK_E_FRAME_SIZE = 4,    /* width/height not positive multiples of the spatial factor (max 16384) */
    VTOK_E_INPUT_LENGTH = 5,  /* a pushed buffer does not hold whole frames / latents */
    VTOK_E_TOKEN_RANGE = 6,   /* a token is not below the vocabulary size */
    VTOK_E_FINISHED = 7,      /* push after finish: reset first */
    VTOK_E_BACKEND = 8,       /* the compute library cannot run here (e.g. oneDNN under W^X) */
    VTOK_E_BUFFER = 9,        /* the output capacity is too small: nothing was consumed */
    VTOK_E_BUSY = 10          /* another thread is inside a call on this session */
} vtok_status;

typedef enum vtok_backend {
    VTOK_BACKEND_ONEDNN = 0,   /* oneDNN direct convolutions (the CLI's default) */
    VTOK_BACKEND_OPENBLAS = 1  /* im2col + OpenBLAS sgemm */
} vtok_backend;

typedef struct vtok_model vtok_model;
typedef struct vtok_encoder vtok_encoder;
typedef struct vtok_decoder vtok_decoder;

/* The library's version, e.g. "1.0.0", and the ABI version of this header (VTOK_ABI_VERSION). */
const char *vtok_version(void);
int32_t vtok_abi_version(void);

/* The calling thread's message for its last failing call ("" if none). Owned by the library. */
const char *vtok_last_error(void);

/* ---- model ---- */

/* Loads a weights file (.safetensors). On success *out is a new handle; on failure *out is NULL. */
vtok_status vtok_model_load(const char *path, vtok_model **out);
void vtok_model_free(vtok_model *model);   /* NULL is ignored; sessions keep the weights alive */

/* Strings owned by the model, valid until vtok_model_free. */
const char *vtok_model_name(const vtok_model *model);      /* e.g. "vtok-4x8x8" */
const char *vtok_model_sha256(const vtok_model *model);    /* 64 lower-case hex digits of the file's SHA-256 */
int32_t vtok_model_temporal_factor(const vtok_model *model);   /* T: frames per latent after the first */
int32_t vtok_model_spatial_factor(const vtok_model *model);    /* S: pixels per token side */
int64_t vtok_model_vocabulary_size(const vtok_model *model);   /* prod(levels) */
/* Copies up to `capacity` FSQ levels into `levels`; returns how many the model has (-1 for a NULL model). */
int32_t vtok_model_levels(const vtok_model *model, int32_t *levels, int32_t capacity);

/* ---- encoder: frames (n, H, W, 3) uint8 -> tokens (l, H/S, W/S) uint16 ---- */

/* backend: a vtok_backend; threads: worker threads for this session, 0 for one per CPU this process may use
 * (its affinity mask). Each session keeps its own backend and threads; nothing process-wide is changed. */
vtok_status vtok_encoder_create(const vtok_model *model, int32_t width, int32_t height, int32_t backend,
                                int32_t threads, vtok_encoder **out);
void vtok_encoder_free(vtok_encoder *encoder);

/* How many latents pushing n_frames more frames would complete now (the capacity push needs). */
int64_t vtok_encoder_latents_for(const vtok_encoder *encoder, int64_t n_frames);

/* Pushes n_frames frames, (n_frames, height, width, 3) uint8. Writes the latents they complete to
 * tokens, (capacity, H/S, W/S) uint16, and their count to *n_latents; frame_counts (may be NULL) receives how
 * many real frames each latent covers. Checks everything before consuming any frame. */
vtok_status vtok_encoder_push(vtok_encoder *encoder, const uint8_t *frames, int64_t n_frames, uint16_t *tokens,
                              int64_t capacity, int64_t *n_latents, int32_t *frame_counts);

/* Ends the stream: completes a partial last group (0 or 1 latent out; capacity 1 is always enough). Further
 * pushes fail with VTOK_E_FINISHED until vtok_encoder_reset. */
vtok_status vtok_encoder_finish(vtok_encoder *encoder, uint16_t *tokens, int64_t capacity, int64_t *n_latents,
                                int32_t *frame_counts);

/* Starts a new stream on the same session: zero history. */
vtok_status vtok_encoder_reset(vtok_encoder *encoder);

/* Frames pushed and latents emitted since the start of the stream. */
int64_t vtok_encoder_frames_in(const vtok_encoder *encoder);
int64_t vtok_encoder_latents_out(const vtok_encoder *encoder);

/* ---- decoder: tokens (l, H/S, W/S) uint16 -> frames (n, H, W, 3) uint8 ---- */

vtok_status vtok_decoder_create(const vtok_model *model, int32_t width, int32_t height, int32_t backend,
                                int32_t threads, vtok_decoder **out);
void vtok_decoder_free(vtok_decoder *decoder);

/* How many frames pushing n_latents more latents yields (1 for latent 0, T for each later one). */
int64_t vtok_decoder_frames_for(const vtok_decoder *decoder, int64_t n_latents);

/* Pushes n_latents latents of tokens, (n_latents, H/S, W/S) uint16. Writes the frames they yield to frames,
 * (capacity, height, width, 3) uint8, and their count to *n_frames. Every token is checked before any is used. */
vtok_status vtok_decoder_push(vtok_decoder *decoder, const uint16_t *tokens, int64_t n_latents, uint8_t *frames,
                              int64_t capacity, int64_t *n_frames);

vtok_status vtok_decoder_reset(vtok_decoder *decoder);
int64_t vtok_decoder_latents_in(const vtok_decoder *decoder);

#ifdef __cplusplus
}
#endif
#endif /* VTOK_H */
