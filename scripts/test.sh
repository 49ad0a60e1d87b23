#!/usr/bin/env bash
# Runs every test: the Swift packages (swift test) and the Python reference and stream reader (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
command -v swift >/dev/null || export PATH="$PATH:/opt/swift/usr/bin"

echo "== swift build (release binary used by process-level tests; libvtokc.so for the Python binding)"
cpu_flags=$(scripts/swift-cpu-flags.sh)          # the same flags as scripts/demo.sh, for both products
echo "target: ${cpu_flags:-the Swift default}"
# shellcheck disable=SC2086   # the flags are words
swift build -c release $cpu_flags --product vtok 2>&1 | tail -n 3
# shellcheck disable=SC2086
swift build -c release $cpu_flags --product vtokc 2>&1 | tail -n 1
export VTOK_BINARY="$PWD/.build/release/vtok"
echo "== swift test"
swift test --disable-swift-testing 2>&1 | grep -vE "^(Test Case .* (started|passed)|\[[0-9]+/[0-9]+\] )"
echo "== pytest (training/, python/)"
.venv/bin/python -m pytest -q training/tests python/tests
