#!/usr/bin/env bash
# The `swift build` arguments that compile vtok's own loops (Winograd transforms, norms, FSQ, SHA-256) for this
# machine's vector unit. Swift's default x86-64 target is SSE2 only; on a CPU with AVX2 and FMA (Haswell, 2013,
# and later; every Zen) `-target-cpu haswell` makes the engine faster (encode +19% with AVX2, +4% with AVX-512,
# medians) and gives the same tokens bit for bit (no fused multiply-adds are formed; docs/performance.md). The
# binary then needs such a CPU.
#   VTOK_TARGET_CPU=generic   a portable binary (Swift's default target), e.g. to copy to other machines
#   VTOK_TARGET_CPU=<cpu>     any CPU name LLVM knows (znver3, skylake-avx512, ...)
# CPUINFO (default /proc/cpuinfo) is read to decide; scripts/demo.sh and scripts/test.sh use this.
set -euo pipefail
cpu="${VTOK_TARGET_CPU:-}"
if [ -z "$cpu" ]; then
  cpu=generic
  if [ "$(uname -m)" = x86_64 ] && [ -r "${CPUINFO:-/proc/cpuinfo}" ]; then
    flags=" $(grep -m1 '^flags' "${CPUINFO:-/proc/cpuinfo}" | cut -d: -f2 || true) "
    have=1
    for f in avx avx2 fma bmi1 bmi2 f16c movbe; do
      case "$flags" in *" $f "*) ;; *) have=0 ;; esac
    done
    [ "$have" = 1 ] && cpu=haswell
  fi
fi
[ "$cpu" = generic ] || echo "-Xswiftc -target-cpu -Xswiftc $cpu"
