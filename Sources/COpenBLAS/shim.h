#ifndef VTOK_COPENBLAS_SHIM_H
#define VTOK_COPENBLAS_SHIM_H
#include <cblas.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Whether this CPU has the AVX-512 subsets OpenBLAS's SKYLAKEX kernels use (F, CD, BW, DQ, VL). A static inline
 * wrapper because __builtin_cpu_supports is a compiler builtin, not a callable C function. Debian's OpenBLAS
 * 0.3.21 runs AMD Zen 4 on its AVX2 (HASWELL) kernels; with OPENBLAS_CORETYPE=SKYLAKEX sgemm is ~1.9x faster. */
static inline int vtok_cpu_has_avx512_skylakex(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

/* The CPUs this process may run on (its affinity mask: taskset, cpusets, systemd CPUAffinity=), or 0 if unknown.
 * The raw system call, because glibc declares sched_getaffinity and CPU_COUNT (a macro) only under _GNU_SOURCE,
 * which a module header cannot turn on for headers other modules already built. Up to 1024 CPUs. */
static inline int vtok_available_cpus(void) {
#ifdef SYS_sched_getaffinity
    unsigned long mask[16] = {0};
    long bytes = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
    if (bytes <= 0) return 0;
    int n = 0;
    for (long i = 0; i < bytes / (long)sizeof(unsigned long); i++) n += __builtin_popcountl(mask[i]);
    return n;
#else
    return 0;
#endif
}
#endif
