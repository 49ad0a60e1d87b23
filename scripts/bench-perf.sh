#!/usr/bin/env bash
# The figures of docs/performance.md (its first section); run on an otherwise quiet machine.
# D2=PATH: a second-generation decoder weights file to measure too (default: skip those rows).
# RUNS=N: repeat the benchmark, whole-process and latency rows N times (for medians); memory and start-up once.
set -u
cd "$(dirname "$0")/.."
D2=${D2:-}
V=./.build/release/vtok
O=${OUT:-out/bench}; mkdir -p "$O"
A2="env ONEDNN_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell"
RUNS=${RUNS:-1}
echo "== $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
ffmpeg -v error -y -f lavfi -i testsrc2=size=256x256:rate=30 -frames:v 1001 -c:v ffv1 /tmp/k1.nut
echo "== per-layer algorithm timings (native, then AVX2-only)"
$V bench --layers --seconds 4 > $O/layers-native.txt 2>&1; cat $O/layers-native.txt
$A2 $V bench --layers --seconds 4 > $O/layers-avx2.txt 2>&1; cat $O/layers-avx2.txt
if [ -n "$D2" ]; then
  $V bench --layers --seconds 4 --model "$D2" > $O/layers-d2-native.txt 2>&1; cat $O/layers-d2-native.txt
  $A2 $V bench --layers --seconds 4 --model "$D2" > $O/layers-d2-avx2.txt 2>&1; cat $O/layers-d2-avx2.txt
fi
for run in $(seq 1 "$RUNS"); do
echo "==== run $run of $RUNS"
echo "== bench auto (native + avx2), reference" ; $V bench --seconds 6 --reference --isa both > $O/bench-auto-$run.txt 2>&1; cat $O/bench-auto-$run.txt
echo "== bench direct (native + avx2)" ; $V bench --seconds 4 --conv direct --isa both > $O/bench-direct-$run.txt 2>&1; cat $O/bench-direct-$run.txt
[ -n "$D2" ] && echo "== bench d2 decoder (native + avx2), reference" && $V bench --seconds 4 --reference --isa both --model "$D2" > $O/bench-d2-$run.txt 2>&1 && cat $O/bench-d2-$run.txt
for env in "" "$A2"; do
  echo "== whole-process ($env)"
  /usr/bin/time -f "encode 1001 frames: %e s, max RSS %M KB" $env $V encode /tmp/k1.nut -o /tmp/k1.vtok
  /usr/bin/time -f "decode 1001 frames -> mkv: %e s, max RSS %M KB" $env $V decode /tmp/k1.vtok -o /tmp/k1.mkv -q
  [ -n "$D2" ] && /usr/bin/time -f "decode d2 1001 frames -> mkv: %e s" $env $V decode /tmp/k1.vtok --model "$D2" -o /tmp/k1d2.mkv -q
  echo "== live latency 30 fps ($env)"
  ffmpeg -v error -re -f lavfi -i testsrc2=size=256x256:rate=30 -frames:v 150 -c:v mpeg4 -f nut - | $env $V encode - --stats -o /dev/null 2>&1 | tail -3
done
done
ffmpeg -v error -y -f lavfi -i testsrc2=size=256x256 -frames:v 1 /tmp/one.png
for i in 1 2 3; do /usr/bin/time -f "start-up one image: %e s" $A2 $V encode /tmp/one.png -o /tmp/one.vtok; done
echo "== memory over 10,000 frames (AVX2)"
for n in 1000 10000; do
  ffmpeg -v error -f lavfi -i testsrc2=size=256x256:rate=30 -frames:v $n -c:v ffv1 -f nut - | /usr/bin/time -f "encode $n frames: max RSS %M KB" $A2 $V encode - -o /tmp/m$n.vtok
done
/usr/bin/time -f "decode 10000 frames: %e s, max RSS %M KB" $A2 $V decode /tmp/m10000.vtok -o /tmp/m10000.mkv -q
/usr/bin/time -f "decode 1000 frames: %e s, max RSS %M KB" $A2 $V decode /tmp/m1000.vtok -o /tmp/m1000.mkv -q
