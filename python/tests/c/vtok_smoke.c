/* Compiled against Sources/VtokC/include/vtok.h and linked with libvtokc.so by test_engine.py: proves the header
 * matches the library, and that bad calls return statuses instead of crashing.
 * usage: vtok_smoke MODEL  (the tiny test model, 48x32 frames); prints "ok" and exits 0. */
#include <stdio.h>
#include <string.h>
#include "vtok.h"

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "failed: %s (line %d): %s\n", #cond, __LINE__, \
                                                vtok_last_error()); return 1; } } while (0)

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    vtok_model *m = NULL;
    CHECK(vtok_abi_version() == VTOK_ABI_VERSION);
    CHECK(vtok_model_load(NULL, &m) == VTOK_E_ARGUMENT && m == NULL);
    CHECK(vtok_model_load("/nonexistent.safetensors", &m) == VTOK_E_CANNOT_READ && strlen(vtok_last_error()) > 0);
    CHECK(vtok_model_load(argv[1], &m) == VTOK_OK && m != NULL);
    CHECK(strlen(vtok_model_sha256(m)) == 64);
    int32_t levels[8];
    CHECK(vtok_model_levels(m, levels, 8) == 6 && levels[0] == 8 && levels[5] == 5);
    CHECK(vtok_model_temporal_factor(m) == 4 && vtok_model_spatial_factor(m) == 8);
    CHECK(vtok_model_vocabulary_size(m) == 64000);

    vtok_encoder *e = NULL;
    CHECK(vtok_encoder_create(m, 50, 32, VTOK_BACKEND_OPENBLAS, 1, &e) == VTOK_E_FRAME_SIZE && e == NULL);
    CHECK(vtok_encoder_create(m, 48, 32, 7, 1, &e) == VTOK_E_ARGUMENT);
    CHECK(vtok_encoder_create(m, 48, 32, VTOK_BACKEND_OPENBLAS, 1, &e) == VTOK_OK && e != NULL);
    vtok_model_free(m);   /* sessions keep the weights */

    static uint8_t frames[6 * 32 * 48 * 3];
    for (size_t i = 0; i < sizeof frames; i++) frames[i] = (uint8_t)(i * 7 + i / 97);
    uint16_t tokens[3 * 4 * 6];
    int32_t counts[3];
    int64_t n = -1;
    CHECK(vtok_encoder_latents_for(e, 6) == 2);
    CHECK(vtok_encoder_push(e, frames, 6, tokens, 1, &n, counts) == VTOK_E_BUFFER && n == 0);
    CHECK(vtok_encoder_frames_in(e) == 0);   /* nothing consumed */
    CHECK(vtok_encoder_push(e, NULL, 6, tokens, 3, &n, counts) == VTOK_E_ARGUMENT);
    CHECK(vtok_encoder_push(e, frames, -1, tokens, 3, &n, counts) == VTOK_E_ARGUMENT);
    CHECK(vtok_encoder_push(e, frames, 6, tokens, 3, &n, counts) == VTOK_OK && n == 2);
    CHECK(counts[0] == 1 && counts[1] == 4);
    CHECK(vtok_encoder_finish(e, tokens + 2 * 24, 1, &n, counts + 2) == VTOK_OK && n == 1 && counts[2] == 1);
    CHECK(vtok_encoder_push(e, frames, 1, tokens, 3, &n, counts) == VTOK_E_FINISHED);
    CHECK(vtok_encoder_reset(e) == VTOK_OK && vtok_encoder_frames_in(e) == 0);
    vtok_encoder_free(e);
    vtok_encoder_free(NULL);

    CHECK(vtok_model_load(argv[1], &m) == VTOK_OK);
    vtok_decoder *d = NULL;
    CHECK(vtok_decoder_create(m, 48, 32, VTOK_BACKEND_OPENBLAS, 1, &d) == VTOK_OK);
    static uint8_t out[9 * 32 * 48 * 3];
    CHECK(vtok_decoder_frames_for(d, 3) == 9);
    uint16_t bad[24] = {64000};
    CHECK(vtok_decoder_push(d, bad, 1, out, 9, &n) == VTOK_E_TOKEN_RANGE && vtok_decoder_latents_in(d) == 0);
    CHECK(vtok_decoder_push(d, tokens, 3, out, 9, &n) == VTOK_OK && n == 9);
    CHECK(vtok_decoder_push(NULL, tokens, 1, out, 9, &n) == VTOK_E_ARGUMENT);
    vtok_decoder_free(d);
    vtok_model_free(m);
    printf("ok\n");
    return 0;
}
