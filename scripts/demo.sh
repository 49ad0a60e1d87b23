#!/usr/bin/env bash
# The main job on the shipped sample: install what is missing, build, encode samples/sample.mp4 into tokens,
# decode the tokens back to mp4, and print the round trip's PSNR and SSIM (ffmpeg's filters, on RGB).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
command -v swift >/dev/null || export PATH="$PATH:/opt/swift/usr/bin"

cpu_flags=$(scripts/swift-cpu-flags.sh)          # this CPU's vector unit (VTOK_TARGET_CPU=generic: portable)
echo "== building vtok (release; target: ${cpu_flags:-the Swift default})" >&2
# shellcheck disable=SC2086   # the flags are words
swift build -c release $cpu_flags --product vtok 2>&1 | tail -n 1 >&2
vtok=.build/release/vtok
mkdir -p out

echo "== vtok encode samples/sample.mp4 -o out/sample.vtok" >&2
"$vtok" encode samples/sample.mp4 -o out/sample.vtok
"$vtok" info out/sample.vtok
echo "== vtok decode out/sample.vtok -o out/sample.mp4" >&2
"$vtok" decode out/sample.vtok -o out/sample.mp4

cmp=(ffmpeg -hide_banner -nostats -i out/sample.mp4 -i samples/sample.mp4 -lavfi)
psnr=$("${cmp[@]}" "[0]format=rgb24[a];[1]format=rgb24[b];[a][b]psnr" -f null - 2>&1 | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p')
ssim=$("${cmp[@]}" "[0]format=rgb24[a];[1]format=rgb24[b];[a][b]ssim" -f null - 2>&1 | sed -n 's/.*All:\([0-9.]*\).*/\1/p')
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 out/sample.mp4)
echo "round trip: ${frames} frames, PSNR ${psnr} dB, SSIM ${ssim} (tokens: out/sample.vtok, video: out/sample.mp4)"
