#!/usr/bin/env bash
# One prepared training run of the second-generation decoder (issue 9) on a lent GPU machine, as the device
# tool runs it: from the repository root, with the compact pack (training/gpu_pack.py make ... --out .gpu/pack,
# about 23 MiB, ignored by git) carried along:
#
#   run(command="bash scripts/gpu-train.sh 7.5", carry=[".gpu"], timeout_s=590)
#
# It unpacks the pack, trains decoder-only at 256x256 crops for MINUTES (default 7.5), continuing
# (--resume-weights) from .gpu/init.safetensors if present (an export of this decoder not yet committed), else
# from the committed training/checkpoints/d2-latest.safetensors, else starting from the released model; exports
# the EMA weights with the released encoder copied bit for bit, and leaves in $OUT what comes back: the export in 15 MiB parts
# (d2.safetensors.part-aa, -ab: `cat d2.safetensors.part-* > d2.safetensors` here), log.csv, train.out, loss.png.
# Evaluate the export here, on the held-out clips (training/eval.py), before anything else.
#
# Local smoke test on the CPU: DEVICE=cpu BATCH=2 CROP=64 bash scripts/gpu-train.sh 0.3
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-7.5}
OUT=${OUT:-out/gpu}
DEVICE=${DEVICE:-cuda}
BATCH=${BATCH:-16}
CROP=${CROP:-256}
PY=${PYTHON:-python3}
[[ $PY == */* ]] && PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"   # absolute, links kept (a venv)
WORK=${WORK:-/tmp/vtok-gpu}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT" "$WORK"
rm -rf "$WORK/run"
{ nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true; } | tee "$OUT/train.out"
$PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" | tee -a "$OUT/train.out"
START=(--init ../models/vtok-4x8x8.safetensors)
[ -f training/checkpoints/d2-latest.safetensors ] && START=(--resume-weights checkpoints/d2-latest.safetensors)
[ -f .gpu/init.safetensors ] && START=(--resume-weights ../.gpu/init.safetensors)
cd training
$PY gpu_pack.py unpack --src ../.gpu/pack --out "$WORK/pack/train" | tee -a "$OUT/train.out"
$PY train.py --pack "$WORK/pack/train" --run "$WORK/run" --arch v2 --decoder-only "${START[@]}" \
    --crop "$CROP" --batch "$BATCH" --frames 17 --lr 5e-4 --warmup 100 --minutes "$MINUTES" \
    --decay-minutes "$($PY -c "print(round(0.4 * $MINUTES, 2))")" --ckpt-every 500 --continuous-frac 0.1 \
    --device "$DEVICE" --prefetch 4 2>&1 | tee -a "$OUT/train.out"
$PY export.py --ckpt "$WORK/run/last.pt" --out "$WORK/d2.safetensors" --encoder-from ../models/vtok-4x8x8.safetensors \
    | tee -a "$OUT/train.out"
cd ..
split -b 15M "$WORK/d2.safetensors" "$OUT/d2.safetensors.part-"
cp "$WORK/run/log.csv" "$WORK/run/loss.png" "$OUT/" 2>/dev/null || cp "$WORK/run/log.csv" "$OUT/"
ls -la "$OUT"
