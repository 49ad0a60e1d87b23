#!/usr/bin/env bash
# Soak test of the live broadcast (not run in CI): `vtok serve --source` on a paced live source (ffmpeg -re
# writing NUT into a FIFO) with 3 readers connected for the whole run. Reports the daemon's RSS drift, its open
# file descriptors (first and last sample, and the range), and, per
# reader, the latent frames and source frames lost (received against END's counts from the reader's join on).
#
#   scripts/soak.sh [SECONDS]            default 3600; e.g. `nice -n 19 scripts/soak.sh 300`
#   SIZE=128x96 RATE=10 MODEL=models/vtok-4x8x8.safetensors VTOK=.build/release/vtok PYTHON=.venv/bin/python
#
# Exit status 0 when no reader lost a frame and the daemon exited 0; 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-3600}
SIZE=${SIZE:-128x96}
RATE=${RATE:-10}
MODEL=${MODEL:-models/vtok-4x8x8.safetensors}
VTOK=${VTOK:-.build/release/vtok}
PYTHON=${PYTHON:-.venv/bin/python}
SAMPLE=${SAMPLE:-10}          # seconds between RSS samples

for tool in ffmpeg socat "$VTOK" "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "soak: needs $tool" >&2; exit 1; }
done

work=$(mktemp -d /tmp/vtok-soak.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "soak: files kept in $work" >&2
}
trap cleanup EXIT

mkfifo "$work/source.nut"
ffmpeg -hide_banner -loglevel error -re -f lavfi -i "testsrc2=size=$SIZE:rate=$RATE" -t "$DURATION" \
    -c:v mpeg4 -q:v 5 -f nut -y "$work/source.nut" &
pids+=($!)
"$VTOK" serve --source "$work/source.nut" --socket "$work/vtok.sock" --model "$MODEL" --size "$SIZE" \
    --log-level notice 2> "$work/serve.log" &
daemon=$!
pids+=($daemon)

for _ in $(seq 1 300); do [ -S "$work/vtok.sock" ] && break; sleep 0.1; done
[ -S "$work/vtok.sock" ] || { echo "soak: the daemon did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
for i in 1 2 3; do
    socat -u "UNIX-CONNECT:$work/vtok.sock" - > "$work/reader$i.vtok" &
    pids+=($!)
done

echo "soak: ${DURATION}s of ${SIZE}@${RATE} fps, 3 readers, daemon pid $daemon, files in $work" >&2
: > "$work/rss.txt"
start=$(date +%s)
while kill -0 "$daemon" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$daemon/status" 2>/dev/null || true)
    fds=$(ls "/proc/$daemon/fd" 2>/dev/null | wc -l || true)
    [ -n "$rss" ] && echo "$(( $(date +%s) - start )) $rss $fds" >> "$work/rss.txt"
    sleep "$SAMPLE"
done
status=0
wait "$daemon" || status=$?
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()

PYTHONPATH=python "$PYTHON" - "$work" "$status" <<'EOF'
import sys
from vtok_stream import read_stream, Tokens, End, Discontinuity, Skipped, Truncated

work, status = sys.argv[1], int(sys.argv[2])
samples = [tuple(map(int, l.split())) for l in open(f"{work}/rss.txt") if l.strip()]
ok = status == 0
print(f"daemon exit status {status}, {samples[-1][0] if samples else 0} s sampled")
if len(samples) >= 3:
    # The first sample is taken while the model loads; drift is measured from the second one on.
    base, last, peak = samples[1][1] / 1024, samples[-1][1] / 1024, max(s[1] for s in samples[1:]) / 1024
    print(f"RSS {base:.1f} MB at {samples[1][0]} s -> {last:.1f} MB at {samples[-1][0]} s "
          f"(drift {last - base:+.1f} MB, peak {peak:.1f} MB)")
    fds = [s[2] for s in samples[1:] if len(s) > 2]
    if fds:
        print(f"open descriptors {fds[0]} at {samples[1][0]} s -> {fds[-1]} at {samples[-1][0]} s "
              f"(min {min(fds)}, max {max(fds)})")
for i in (1, 2, 3):
    first_frame = first_latent = None
    frames = latents = missing = skipped = 0
    end = None
    truncated = False
    with open(f"{work}/reader{i}.vtok", "rb") as f:
        for ev in read_stream(f):
            if isinstance(ev, Tokens):
                if first_frame is None:
                    first_frame, first_latent = ev.frame_index, ev.latent_index
                frames += len(ev.pts)
                latents += 1
            elif isinstance(ev, Discontinuity):
                missing += ev.missing
            elif isinstance(ev, Skipped):
                skipped += 1
            elif isinstance(ev, Truncated):
                truncated = True
            elif isinstance(ev, End):
                end = ev
    if end is None or first_frame is None:
        print(f"reader {i}: {'no END' if end is None else 'no tokens'} (truncated={truncated})")
        ok = False
        continue
    lost_frames = end.frames_in - first_frame - frames
    lost_latents = end.latent_frames_out - first_latent - latents
    print(f"reader {i}: joined at frame {first_frame}, {latents} latents / {frames} frames received, "
          f"lost {lost_latents} latents / {lost_frames} frames (END: {end.latent_frames_out} latents, "
          f"{end.frames_in} frames, reason {end.reason}), {missing} packets reported missing, {skipped} skipped")
    ok = ok and lost_frames == 0 and lost_latents == 0 and skipped == 0
sys.exit(0 if ok else 1)
EOF
