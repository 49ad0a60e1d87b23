#ifndef VTOK_CONEDNN_SHIM_H
#define VTOK_CONEDNN_SHIM_H
#include <dnnl.h>

/* Debian's oneDNN 2.6 is built with the OpenMP runtime. The engine runs every oneDNN call single-threaded on
 * its own workers, so each calling thread sets its OpenMP thread count to 1 (a per-thread setting in libgomp,
 * cheap to repeat) before it creates or runs a primitive. Declared here rather than through <omp.h>, which
 * lives in GCC's private include folder. */
void omp_set_num_threads(int);
int omp_get_max_threads(void);

static inline void vtok_omp_use_calling_thread_only(void) {
    if (omp_get_max_threads() != 1) omp_set_num_threads(1);
}

/* C (m, n) = A (m, k) * B (k, n) + beta * C, row-major, on the calling thread only. Returns a dnnl_status_t. */
static inline int vtok_dnnl_sgemm(long m, long n, long k, const float *a, const float *b, float *c, float beta) {
    vtok_omp_use_calling_thread_only();
    return (int)dnnl_sgemm('N', 'N', m, n, k, 1.0f, a, k, b, n, beta, c, n);
}
#endif
