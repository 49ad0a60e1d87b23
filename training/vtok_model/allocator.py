"""Keep freed memory in the process between training steps.

A training step allocates and frees the same few hundred MB of activations every time. glibc's malloc returns
blocks above its mmap threshold to the kernel on free (munmap) and takes them back zero-filled on the next step
(page faults), which cost about a third of a decoder-only step on 2 CPU cores (py-spy, session 6). Two remedies,
measured in training/README.md ("Step speed on CPU"), about equally fast: run under jemalloc with decay off
(LD_PRELOAD), or raise glibc's thresholds with mallopt so freed blocks stay in the heap. Memory held is the peak of one step, which the
process needed anyway.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
INT_MAX = 2 ** 31 - 1                  # mallopt takes a C int
MMAP_THRESHOLD_MAX = 32 << 20          # glibc's ceiling for M_MMAP_THRESHOLD on 64-bit (larger values are refused)


def keep_freed_memory() -> str:
    """Configure the allocator for repeated same-size steps; returns what was done, for the log."""
    if "jemalloc" in os.environ.get("LD_PRELOAD", ""):
        return "jemalloc (LD_PRELOAD)"
    name = ctypes.util.find_library("c")
    if name is None:
        return "system allocator (no libc found)"
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt"):
        return "system allocator (no mallopt)"
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]      # out-of-range values raise instead of wrapping
    ok = (libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX) == 1
          and libc.mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1 and libc.mallopt(M_TOP_PAD, 1 << 30) == 1)
    return "glibc malloc, freed memory kept (mallopt)" if ok else "glibc malloc (mallopt refused)"
