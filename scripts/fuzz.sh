#!/usr/bin/env bash
# Builds the libFuzzer targets (Swift -sanitize=fuzzer,address) and runs them on a seed corpus of real inputs.
#
#   ./scripts/fuzz.sh build                       build .build/fuzz/{stream,safetensors,media}
#   ./scripts/fuzz.sh run stream [libFuzzer args]  e.g. -runs=10000000 or -max_total_time=600
#   ./scripts/fuzz.sh all SECONDS                  each target for SECONDS
#   ./scripts/fuzz.sh build media                 one target only
#   FUZZ_MAX_LEN=65536 ./scripts/fuzz.sh run ...   longer inputs (default 2048 bytes)
#   FUZZ_WORK=/var/tmp/vtok/fuzz ./scripts/fuzz.sh run ...   corpus, seeds and crashes there (default .build/fuzz)
#
# Targets (Fuzz/*.swift): `stream` = the token stream reader and `vtok info`'s statistics (Sources/VtokStream,
# Sources/vtok/StreamStats.swift); `safetensors` = the weights loader (Sources/VtokEngine's loader files);
# `media` = y4m and NUT through FFmpeg and VtokMedia's MediaReader. Corpora grow under .build/fuzz/corpus/;
# crashing inputs land in .build/fuzz/crashes/: copy each into Tests/Fixtures/fuzz/<target>/ (FuzzRegression
# tests replay that folder on every `swift test`). Seeds: samples/sample.vtok, python/tests/data/*.vtok, the
# tiny model, small y4m/NUT clips made with ffmpeg. Figures: docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swiftc >/dev/null || export PATH="$PATH:/opt/swift/usr/bin"
out=.build/fuzz                      # the binaries
work=${FUZZ_WORK:-$out}              # corpus/, seeds/, crashes/ (a long run's corpus can live outside the tree)
mkdir -p "$out" "$work/crashes"
flags=(-sanitize=fuzzer,address -parse-as-library -O -g -suppress-warnings)

build() {
    local only=${1:-}
    echo "== building fuzz targets in $out"
    if [ -z "$only" ] || [ "$only" = stream ]; then
    swiftc "${flags[@]}" -module-name VtokStream Sources/VtokStream/*.swift Sources/vtok/StreamStats.swift \
        Fuzz/StreamReaderFuzz.swift -o "$out/stream"
    fi
    if [ -z "$only" ] || [ "$only" = safetensors ]; then
    # The loader needs SHA-256 (the weights' identity): VtokChecksum, built as a module of its own first.
    mkdir -p "$out/modules"
    swiftc "${flags[@]}" -module-name VtokChecksum -emit-module -emit-module-path "$out/modules/VtokChecksum.swiftmodule" \
        -emit-library -static -o "$out/modules/libVtokChecksum.a" Sources/VtokChecksum/SHA256.swift
    local engine=(SafeTensors Errors ModelConfig LayerWeights FloatBuffer VtokModel VtokModel+Identity)
    swiftc "${flags[@]}" -module-name VtokEngine -I "$out/modules" \
        $(for f in "${engine[@]}"; do printf 'Sources/VtokEngine/%s.swift ' "$f"; done) \
        Fuzz/SafeTensorsFuzz.swift "$out/modules/libVtokChecksum.a" -o "$out/safetensors"
    fi
    if [ -z "$only" ] || [ "$only" = media ]; then
    swiftc "${flags[@]}" -module-name VtokMedia -I Sources/CFFmpeg $(pkg-config --cflags libavformat | sed 's/-I/-Xcc -I/g') \
        Sources/VtokMedia/*.swift Fuzz/MediaFuzz.swift \
        $(pkg-config --libs libavformat libavcodec libswscale libavutil libavdevice) -o "$out/media"
    fi
}

seeds() {
    local t=$1 dir="$work/seeds/$t"
    [ -d "$dir" ] && { echo "$dir"; return; }
    mkdir -p "$dir"
    case $t in
        stream)
            for f in samples/sample.vtok python/tests/data/*.vtok; do printf '\003' | cat - "$f" > "$dir/$(basename "$f")"; done
            for f in Tests/Fixtures/fuzz/stream/*; do [ -f "$f" ] && cp "$f" "$dir/"; done ;;
        safetensors)
            cp Tests/VtokEngineTests/Fixtures/tiny-model.safetensors "$dir/"     # deep only with FUZZ_MAX_LEN=1048576
            cp Tests/Fixtures/fuzz/safetensors/* "$dir/" ;;
        media)
            local tmp; tmp=$(mktemp -d)
            ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=32x24:rate=5 -frames:v 3 -pix_fmt yuv420p \
                -f yuv4mpegpipe "$tmp/a.y4m"
            ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=16x16:rate=5 -frames:v 2 -pix_fmt yuv444p \
                -c:v rawvideo -f nut "$tmp/b.nut"
            ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=24x16:rate=5 -frames:v 2 -c:v ffv1 -f nut "$tmp/c.nut"
            { printf '\000'; cat "$tmp/a.y4m"; } > "$dir/a.y4m"
            { printf '\001'; cat "$tmp/b.nut"; } > "$dir/b.nut"
            { printf '\001'; cat "$tmp/c.nut"; } > "$dir/c.nut"
            rm -rf "$tmp" ;;
    esac
    echo "$dir"
}

run() {
    local t=$1; shift
    [ -x "$out/$t" ] || build "$t"
    local corpus="$work/corpus/$t" seed
    mkdir -p "$corpus"
    seed=$(seeds "$t")
    local max=${FUZZ_MAX_LEN:-2048}         # real streams are larger; short inputs keep the rate at ~2,000/s
    local dict=()
    [ -f "Fuzz/$t.dict" ] && dict=(-dict="Fuzz/$t.dict")
    "$out/$t" "$corpus" "$seed" "${dict[@]}" -max_len=$max -artifact_prefix="$work/crashes/$t-" -print_final_stats=1 "$@"
}

case ${1:-all} in
    build) build "${2:-}" ;;
    run) shift; run "$@" ;;
    all)
        secs=${2:-60}
        build
        for t in stream safetensors media; do run "$t" -max_total_time="$secs"; done ;;
    *) echo "usage: $0 build | run TARGET [libFuzzer args] | all [SECONDS]" >&2; exit 2 ;;
esac
