#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for vtok (idempotent): FFmpeg, oneDNN and OpenBLAS dev packages,
# the tools the tests drive (ffmpeg, socat), and the Python venv for the reference model (.venv).
# Swift 6.x is expected at /opt/swift or on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(pkg-config ffmpeg gnuplot-nox libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev
              libopenblas-dev libdnnl-dev libgcc-12-dev socat systemd python3-venv)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
  if [ -x /opt/swift/usr/bin/swift ]; then export PATH="$PATH:/opt/swift/usr/bin"; else
    echo "setup: Swift 6 not found (expected /opt/swift/usr/bin/swift or swift on PATH)" >&2; exit 1; fi
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import torch, safetensors, numpy, cv2, pytest, ray.data" 2>/dev/null; then
  echo "setup: creating .venv (PyTorch and friends, about a minute)" >&2
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r training/requirements.txt
  .venv/bin/pip install -q --disable-pip-version-check -e 'python[fast]'
fi
if ! .venv/bin/python -c "import google_crc32c" 2>/dev/null || ! [ -x .venv/bin/vtok-shards ]; then
  .venv/bin/pip install -q --disable-pip-version-check -e 'python[fast]'   # fast CRC-32C, the vtok-shards command
fi
