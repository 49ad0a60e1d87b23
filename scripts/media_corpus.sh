#!/usr/bin/env bash
# Writes the damaged-media corpus into DIR (default out/media-corpus): one file per case, small clips made with
# ffmpeg, then cut, filled with garbage, or given odd properties. Tests/VtokCLITests/MediaCorpusTests runs every
# case through `vtok encode` (as a path and through a pipe) and `vtok decode`; docs/reliability.md has figures.
#
#   ./scripts/media_corpus.sh [DIR]        prints one line per case: NAME<TAB>what it is
set -euo pipefail
dir=${1:-out/media-corpus}
mkdir -p "$dir"
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
src() { echo "-f lavfi -i testsrc2=size=${1:-48x32}:rate=${2:-25} -frames:v ${3:-9}"; }
say() { printf '%s\t%s\n' "$1" "$2"; }

# shellcheck disable=SC2046
{
ff $(src) -c:v ffv1 "$dir/ok.mkv";                                               say ok.mkv "a clean clip"
ff $(src 48x32 25 13) -c:v mpeg4 -f mp4 "$dir/base.mp4.src"
ff $(src 48x32 25 13) -c:v mpeg4 -f nut "$dir/base.nut.src"
for ext in mp4 nut; do
    size=$(stat -c %s "$dir/base.$ext.src")
    for pct in 5 30 60 90 99; do
        head -c $((size * pct / 100)) "$dir/base.$ext.src" > "$dir/cut-$pct.$ext"; say "cut-$pct.$ext" "cut at $pct%"
    done
    mv "$dir/base.$ext.src" "$dir/whole.$ext";                                   say "whole.$ext" "the uncut clip"
done
head -c 4096 /dev/urandom > "$dir/garbage.bin";                                  say garbage.bin "random bytes"
: > "$dir/empty.mp4";                                                            say empty.mp4 "an empty file"
{ head -c 2000 "$dir/whole.nut"; head -c 3000 /dev/urandom; tail -c +5001 "$dir/whole.nut"; } > "$dir/garbage-inside.nut"
say garbage-inside.nut "3000 random bytes in the middle"
ff -f lavfi -i sine=frequency=440:duration=0.5 -c:a pcm_s16le "$dir/audio-only.wav"; say audio-only.wav "audio, no video"
ff $(src 48x32 25 9) -c:v ffv1 -frames:v 0 "$dir/zero-frames.mkv" 2>/dev/null || true
[ -s "$dir/zero-frames.mkv" ] && say zero-frames.mkv "a video stream with no frames"
printf 'YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n' > "$dir/huge-declared.y4m"
head -c 1000 /dev/zero >> "$dir/huge-declared.y4m";                              say huge-declared.y4m "declares 100000x100000"
printf 'YUV4MPEG2 W4096 H4096 F25:1 Ip A1:1 C420jpeg\nFRAME\n' > "$dir/big-declared-cut.y4m"
head -c 1000 /dev/zero >> "$dir/big-declared-cut.y4m";                           say big-declared-cut.y4m "declares 4096x4096, 1000 bytes"
ff $(src 48x32 25 5) -c:v mpeg4 -f mpegts "$dir/a.ts.src"
ff $(src 64x48 25 5) -c:v mpeg4 -f mpegts -output_ts_offset 0.2 "$dir/b.ts.src"
cat "$dir/a.ts.src" "$dir/b.ts.src" > "$dir/size-change.ts"; rm "$dir/a.ts.src" "$dir/b.ts.src"
say size-change.ts "48x32 then 64x48 in one stream"
ff $(src 33x17 25 5) -c:v ffv1 -pix_fmt yuv444p "$dir/odd-33x17.mkv";            say odd-33x17.mkv "odd width and height"
ff $(src 48x32 25 3) -vf scale=1:1 -c:v ffv1 -pix_fmt yuv444p "$dir/one-pixel.mkv";                   say one-pixel.mkv "1x1"
ff $(src 48x32 25 5) -c:v ffv1 -pix_fmt yuv420p10le "$dir/ten-bit.mkv";          say ten-bit.mkv "10-bit 4:2:0"
ff $(src 48x32 25 5) -c:v ffv1 -pix_fmt yuv444p "$dir/yuv444.mkv";               say yuv444.mkv "4:4:4"
ff $(src 48x32 25 5) -c:v mpeg4 "$dir/rotated-90.mp4"
# FFmpeg 5.1 writes no rotation from -metadata rotate=90: set the tkhd display matrix to a 90-degree turn.
python3 - "$dir/rotated-90.mp4" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read()); t = b.find(b"tkhd")
struct.pack_into(">9i", b, t + 44, 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
open(sys.argv[1], "wb").write(b)
PY
say rotated-90.mp4 "rotation metadata 90"
ff $(src 48x32 25 6) -vf setfield=tff -c:v mpeg2video -flags +ilme+ildct -field_order tt "$dir/interlaced.mkv"
say interlaced.mkv "interlaced (tff) mpeg2"
ff $(src 48x32 25 9) -vf "setpts='N+floor(N/2)'/25/TB" -fps_mode passthrough -c:v ffv1 "$dir/vfr.mkv"
say vfr.mkv "variable frame rate"
}
