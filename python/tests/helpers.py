"""Shared by the tests: the reference streams of docs/token-stream.md §9 and their known content."""

import os
import struct
import subprocess

import numpy as np

from vtok_stream import StreamReader, Tokens

DATA = os.path.join(os.path.dirname(__file__), "data")


def fixture(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


def expected_tokens(l, h, w):
    """token = (1009*l + 97*y + 13*x) % 64000, (h, w)."""
    y, x = np.mgrid[0:h, 0:w]
    return ((1009 * l + 97 * y + 13 * x) % 64000).astype(np.uint16)


def expected_latents(l, h, w, c):
    """latent = 10*l + y + x/4 + ch/64 - 3, (h, w, c) channels-last."""
    y, x, ch = np.mgrid[0:h, 0:w, 0:c]
    return (10 * l + y + x / 4 + ch / 64 - 3).astype(np.float32)


def key(ev):
    """A comparable form of an event (Tokens hold numpy arrays)."""
    if isinstance(ev, Tokens):
        return ("tokens", ev.latent_index, ev.frame_index, ev.pts, ev.tokens.tobytes(),
                None if ev.latents is None else ev.latents.tobytes())
    if isinstance(ev, Exception):
        return ("raised", type(ev).__name__, str(ev))
    return ev


def read_chunked(data, sizes):
    """Feeds `data` in chunks cycling through `sizes`; returns (event keys, finish())."""
    r = StreamReader()
    out, i, k = [], 0, 0
    ended = False
    while True:
        while True:
            try:
                ev = r.next_event()
            except Exception as e:  # UnsupportedVersion
                out.append(key(e))
                continue
            if ev is None:
                break
            out.append(key(ev))
        if ended:
            break
        if i >= len(data):
            r.end_input()             # then drain once more (§6.2)
            ended = True
            continue
        n = sizes[k % len(sizes)]
        k += 1
        r.feed(data[i:i + n])
        i += n
    return out, r.finish()


ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY_MODEL = os.path.join(ROOT, "Tests", "VtokEngineTests", "Fixtures", "tiny-model.safetensors")
RELEASE_MODEL = os.path.join(ROOT, "models", "vtok-4x8x8.safetensors")


def vtok_binary():
    """$VTOK_BINARY, else .build/release/vtok, else .build/debug/vtok; None when none is built."""
    candidates = [os.path.join(ROOT, ".build", "release", "vtok"), os.path.join(ROOT, ".build", "debug", "vtok")]
    if os.environ.get("VTOK_BINARY"):
        candidates.insert(0, os.environ["VTOK_BINARY"])
    return next((c for c in candidates if os.path.isfile(c) and os.access(c, os.X_OK)), None)


def require_vtok_binary():
    """The vtok binary; skips the test when there is none, except in CI (CI=true), where it fails."""
    import pytest
    path = vtok_binary()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("no vtok binary in CI: scripts/test.sh builds it and sets VTOK_BINARY")
        pytest.skip("no vtok binary: build it (swift build -c release --product vtok) or set VTOK_BINARY")
    return path


def packet_spans(data):
    """(offset, length) of each packet of an undamaged stream (docs/token-stream.md §3: 36 bytes + payload)."""
    out, at = [], 0
    while at < len(data):
        (length,) = struct.unpack_from("<I", data, at + 24)
        out.append((at, 36 + length))
        at += 36 + length
    return out


def make_clip(path, size, frames, src="testsrc2"):
    """A 25 fps H.264 (by extension) clip of `frames` frames of an ffmpeg lavfi source; returns its path."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{src}=size={size}:rate=25",
                    "-frames:v", str(frames), "-pix_fmt", "yuv420p", str(path)], check=True, timeout=120)
    return str(path)
