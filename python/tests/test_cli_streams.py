"""Streams written by the Swift `vtok` binary, read by the Python reader (docs/token-stream.md §10).

Runs the binary ($VTOK_BINARY, else .build/release/vtok, else .build/debug/vtok; skipped when none is built)
with the tiny fixture model on clips made with the ffmpeg CLI, and checks what `vtok_stream` reads against
what went in and against `vtok info --json`. In CI (CI=true) a missing binary fails the tests instead.
"""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from helpers import vtok_binary
from vtok_stream import Discontinuity, End, Header, Skipped, Tokens, Truncated, read_stream

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY_MODEL = os.path.join(ROOT, "Tests", "VtokEngineTests", "Fixtures", "tiny-model.safetensors")


VTOK = vtok_binary()
pytestmark = [
    pytest.mark.skipif(VTOK is None and not os.environ.get("CI"), reason="no vtok binary: build it or set VTOK_BINARY"),
    pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                       reason="ffmpeg and ffprobe make and check the clips"),
]


def ffmpeg(out, *args):
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args, str(out)], check=True)
    return str(out)


def make_clip(out, frames, size="48x32", extra=()):
    return ffmpeg(out, "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25", "-frames:v", str(frames),
                  "-pix_fmt", "yuv420p", *extra)


def probe_times(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time",
                          "-of", "csv=p=0", path], check=True, capture_output=True, text=True).stdout
    return [float(line.strip().strip(",")) for line in out.splitlines() if line.strip()]


def vtok(*args, stdin=None):
    """Runs vtok; success means exit 0 and nothing on stderr (it is not a terminal here)."""
    r = subprocess.run([VTOK, *args], stdin=stdin, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stderr == b""
    return r.stdout


def events_of(source):
    events = list(read_stream(source))
    damage = [e for e in events if isinstance(e, (Skipped, Discontinuity, Truncated))]
    assert damage == [], damage
    return events


def check_stream(events, frames, source_times, continuous):
    """The stream of `frames` frames at 48x32 (a 4x6 grid), one segment, against the clip's frame times."""
    assert isinstance(events[0], Header) and isinstance(events[-1], End)
    h = events[0]
    assert h.model_name == "vtok-tiny-test" and h.segment == 0
    assert h.levels == (8, 8, 8, 5, 5, 5) and h.vocabulary_size == 64000
    assert (h.temporal_factor, h.spatial_factor, h.latent_height, h.latent_width) == (4, 8, 4, 6)
    assert h.model_size == (48, 32) and h.source_size == (48, 32)
    assert h.frame_rate == (25, 1)
    assert h.has_latents == continuous

    tokens = [e for e in events if isinstance(e, Tokens)]
    groups = [1] + [min(4, frames - 1 - i) for i in range(0, frames - 1, 4)]
    assert [t.frame_count for t in tokens] == groups
    assert [t.latent_index for t in tokens] == list(range(len(groups)))
    assert [t.frame_index for t in tokens] == list(np.cumsum([0] + groups[:-1]))
    for t in tokens:
        assert t.header == h
        assert t.tokens.dtype == np.uint16 and t.tokens.shape == (4, 6)
        assert int(t.tokens.max()) < h.vocabulary_size
        if continuous:
            assert t.latents.dtype == np.float32 and t.latents.shape == (4, 6, 6)
            assert np.isfinite(t.latents).all()
        else:
            assert t.latents is None
    pts = [p for t in tokens for p in t.pts]
    num, den = h.time_base
    np.testing.assert_allclose([p * num / den for p in pts], source_times, atol=1e-3)

    ends = [e for e in events if isinstance(e, End)]
    assert len(ends) == 1
    assert (ends[0].frames_in, ends[0].latent_frames_out, ends[0].reason_name) == (frames, len(groups), "endOfInput")
    return h, tokens


def info_json(path):
    return json.loads(vtok("info", "--json", path))


@pytest.mark.parametrize("frames", [1, 11])
def test_continuous_stream_from_a_file(tmp_path, frames):
    clip = make_clip(tmp_path / "clip.mkv", frames, extra=("-c:v", "ffv1"))
    out = str(tmp_path / "clip.vtok")
    assert vtok("encode", clip, "--model", TINY_MODEL, "--size", "48x32", "--continuous", "-o", out) == b""
    with open(out, "rb") as f:
        events = events_of(f)
    h, tokens = check_stream(events, frames, probe_times(clip), continuous=True)

    # vtok info counts what the Python reader counts.
    info = info_json(out)
    assert info["segments"] == 1
    assert info["latent_frames"] == len(tokens)
    assert info["frames"] == sum(t.frame_count for t in tokens) == frames
    assert info["tokens"] == sum(t.tokens.size for t in tokens)
    assert info["distinct_codes"] == len(np.unique(np.concatenate([t.tokens.ravel() for t in tokens])))
    assert info["truncated"] is False and info["corrupt_bytes"] == 0
    assert info["end"]["frames_in"] == frames and info["end"]["latent_frames_out"] == len(tokens)
    assert info["end"]["reason"] == "endOfInput"
    hdr = info["header"]
    assert hdr["stream_id"] == h.stream_id.hex() and hdr["weights_sha256"] == h.weights_sha256.hex()
    assert hdr["latent_grid"] == [h.latent_height, h.latent_width]
    assert hdr["continuous_latents"] is True
    assert hdr["time_base"] == f"{h.time_base[0]}/{h.time_base[1]}"


def test_stream_read_live_from_a_pipe(tmp_path):
    """`vtok encode - | python`: read_stream on the process's stdout; the same tokens as from the file."""
    clip = make_clip(tmp_path / "clip.mkv", 9, extra=("-c:v", "ffv1"))
    from_file = events_of(vtok("encode", clip, "--model", TINY_MODEL, "--size", "48x32"))
    with open(clip, "rb") as src:
        p = subprocess.Popen([VTOK, "encode", "-", "--model", TINY_MODEL, "--size", "48x32"],
                             stdin=src, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        live = events_of(p.stdout)
        err = p.stderr.read()
        assert p.wait(timeout=60) == 0, err
        assert err == b""
    check_stream(live, 9, probe_times(clip), continuous=False)
    a = [e.tokens for e in from_file if isinstance(e, Tokens)]
    b = [e.tokens for e in live if isinstance(e, Tokens)]
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert from_file[0].stream_id != live[0].stream_id          # each run picks its own


def test_segments_after_a_frame_size_change(tmp_path):
    """Two MPEG-TS streams of different sizes back to back: two headers, the latent index restarting."""
    a = make_clip(tmp_path / "a.ts", 5, extra=("-c:v", "mpeg4", "-f", "mpegts"))
    b = make_clip(tmp_path / "b.ts", 5, size="64x48", extra=("-c:v", "mpeg4", "-f", "mpegts", "-output_ts_offset", "0.2"))
    joined = tmp_path / "joined.ts"
    joined.write_bytes(open(a, "rb").read() + open(b, "rb").read())
    data = vtok("encode", str(joined), "--model", TINY_MODEL, "--size", "48x32", "--continuous")
    events = events_of(data)
    headers = [e for e in events if isinstance(e, Header)]
    assert [h.segment for h in headers] == [0, 1]
    assert [h.source_size for h in headers] == [(48, 32), (64, 48)]
    assert headers[0].stream_id == headers[1].stream_id
    tokens = [e for e in events if isinstance(e, Tokens)]
    assert [(t.header.segment, t.latent_index, t.frame_count) for t in tokens] == [(0, 0, 1), (0, 1, 4), (1, 0, 1), (1, 1, 4)]
    assert [t.frame_index for t in tokens] == [0, 1, 5, 6]
    assert all(t.latents.shape == (4, 6, 6) for t in tokens)
    end = events[-1]
    assert isinstance(end, End) and end.frames_in == 10 and end.latent_frames_out == 4
    path = tmp_path / "joined.vtok"
    path.write_bytes(data)
    info = info_json(str(path))
    assert (info["segments"], info["latent_frames"], info["frames"]) == (2, 4, 10)
