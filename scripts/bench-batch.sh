#!/usr/bin/env bash
# Per-file overhead of batch tokenisation: 200 short clips (25 frames each) against one long clip of the same
# 5,000 frames, both with `vtok encode ... -o DIR/`. Prints clips/s and frames/s for each (docs/datasets.md).
# Usage: scripts/bench-batch.sh [vtok binary] [extra encode options, e.g. --jobs 1]
set -euo pipefail
cd "$(dirname "$0")/.."
VTOK=${1:-.build/release/vtok}
shift || true
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }

# One 5,000-frame 256x256 clip at 25 fps from the sample (looped), a key frame every 25 frames; cut into 200 clips.
ff -stream_loop -1 -i samples/sample.mp4 -frames:v 5000 -vf scale=256:256,fps=25 -c:v libx264 -preset veryfast \
   -force_key_frames 'expr:eq(mod(n,25),0)' -pix_fmt yuv420p "$WORK/long.mp4"
mkdir -p "$WORK/clips"
ff -i "$WORK/long.mp4" -c copy -f segment -segment_time 0.001 -reset_timestamps 1 "$WORK/clips/c%03d.mp4"
echo "clips: $(ls "$WORK/clips" | wc -l), frames in the long clip: 5000"

run() {  # name, inputs...
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$VTOK" encode "$@" -o "$WORK/out-$name/" "${EXTRA[@]}" 2>/dev/null || true
  t1=$(date +%s.%N)
  python3 - "$name" "$t0" "$t1" "$WORK/out-$name/results.jsonl" <<'PY'
import json, sys
name, t0, t1, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
lines = [json.loads(l) for l in open(path)]
ok = [l for l in lines if l["error"] is None]
frames = sum(l["frames"] for l in ok)
s = t1 - t0
print(f"{name:6s} {len(ok):4d} clips, {frames} frames in {s:.2f} s: {len(ok)/s:.2f} clips/s, {frames/s:.1f} frames/s"
      + (f", {len(lines)-len(ok)} failed" if len(lines) > len(ok) else ""))
PY
}
EXTRA=("$@")
run long "$WORK/long.mp4"
run short "$WORK/clips"
