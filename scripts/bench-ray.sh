#!/usr/bin/env bash
# Scaling of the Ray Data pipeline (python/vtok_stream/raydata.py) from 1 to N workers on one machine, against
# `vtok encode` run once per file on the same clips. Prints one JSON line per run (clips, frames, seconds, frames/s).
#   scripts/bench-ray.sh [VIDEO_DIR] [CLIPS] [MAX_WORKERS]     default: ../shared/data/videos, 30 clips, 2 workers
# Needs: ./scripts/setup.sh, swift build -c release --product vtok, swift build -c release --product vtokc.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-}
if [ -z "$dir" ]; then for d in ../shared/data/videos ../../shared/data/videos; do [ -d "$d" ] && dir=$d && break; done; fi
clips=${2:-30}
max=${3:-2}
python=${PYTHON:-.venv/bin/python}
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$(cd "$dir" && pwd)" -maxdepth 1 -name '*.mp4' | sort | head -n "$clips" > "$work/manifest.txt"
frames=0
for f in $(cat "$work/manifest.txt"); do
  n=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$f")
  frames=$((frames + n))
done
echo "== $(wc -l < "$work/manifest.txt") clips, $frames frames, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "== vtok encode per file, one at a time (its engine uses every core)" >&2
TIMEFORMAT='%R %U %S'
t=$( { time (for f in $(cat "$work/manifest.txt"); do .build/release/vtok encode "$f" -o "$work/x.vtok" || true; done) ; } 2>&1 | tail -n 1)
read -r real user sys <<< "$t"
python3 -c "r, c = $real, $user + $sys; print('{\"runner\": \"vtok encode per file\", \"frames\": $frames, \"seconds\": %.2f, \"frames_per_second\": %.1f, \"cpu_seconds\": %.2f, \"frames_per_cpu_second\": %.1f}' % (r, $frames / r, c, $frames / c))"

for w in $(seq 1 "$max"); do
  echo "== Ray Data, $w worker(s), 1 engine thread each" >&2
  "$python" -m vtok_stream.raydata "$work/manifest.txt" "$work/out-$w" --workers "$w" 2>/dev/null || true
done
