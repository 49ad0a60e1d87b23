"""The Ray Data pipeline (vtok_stream.raydata) on a local Ray (num_cpus=2): manifest -> tokens -> tar shards, with
the tokens equal to `vtok encode`'s on the same files, failures recorded, and the video helper's sizes.

Needs ray[data] (training/requirements.txt), libvtokc.so, ffmpeg and, for parity, the release binary; outside CI a
missing one skips, in CI (CI set) it fails.
"""

import json
import os
import subprocess

import numpy as np
import pytest

from vtok_stream import End, Tokens, read_stream
from vtok_stream import engine
from vtok_stream.video import model_size

from helpers import make_clip

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IN_CI = bool(os.environ.get("CI"))
VTOK = os.environ.get("VTOK_BINARY") or os.path.join(ROOT, ".build", "release", "vtok")

try:
    import ray
except ImportError:
    if IN_CI:
        raise
    ray = None
from vtok_stream import raydata  # noqa: E402  (imports no ray itself)

needs_ray = pytest.mark.skipif(ray is None or engine.find_library() is None or not os.path.isfile(VTOK),
                               reason="needs ray[data], libvtokc.so and the vtok binary")


def test_model_size_follows_the_cli_size_policy():
    assert model_size(256, 256) == (256, 256)
    assert model_size(512, 512) == (256, 256)
    assert model_size(568, 320) == (456, 256)      # measured: `vtok encode` of a 568x320 clip makes 456x256
    assert model_size(320, 240) == (344, 256)      # 341.33 -> 344
    assert model_size(1920, 1080) == (456, 256)    # 455.1 -> 456
    assert model_size(100, 2000) == (256, 5120)
    with pytest.raises(ValueError):
        model_size(0, 10)


def test_read_manifest_text_and_jsonl(tmp_path):
    m = tmp_path / "m.txt"
    m.write_text("# clips\nrel/a.mp4\n\n/abs/b.mp4\n{\"input\": \"c.mkv\"}\n{\"path\": \"/d.webm\"}\nhttp://x/e.mp4\n")
    rows = raydata.read_manifest(str(m))
    assert [r["index"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["input"] for r in rows] == [str(tmp_path / "rel/a.mp4"), "/abs/b.mp4", str(tmp_path / "c.mkv"),
                                          "/d.webm", "http://x/e.mp4"]
    m.write_text("{\"name\": 3}\n")
    with pytest.raises(ValueError, match="m.txt:1"):
        raydata.read_manifest(str(m))
    assert raydata.clip_key(7, "/x/my clip.v2.mp4") == "00000007_my_clip"


def cli_encode(path, out):
    subprocess.run([VTOK, "encode", path, "-o", str(out)], check=True, capture_output=True, timeout=300)
    with open(out, "rb") as f:
        events = list(read_stream(f))
    return np.stack([e.tokens for e in events if isinstance(e, Tokens)]), events[-1]


@needs_ray
def test_pipeline_writes_cli_tokens_to_shards_and_records_failures(tmp_path, local_ray):
    clips = [make_clip(tmp_path / "a.mp4", "256x256", 9),
             make_clip(tmp_path / "b.mkv", "320x240", 6, "mandelbrot"),
             make_clip(tmp_path / "c.mp4", "256x192", 14)]
    (tmp_path / "broken.mp4").write_bytes(os.urandom(4000))
    manifest = tmp_path / "manifest.txt"
    manifest.write_text("a.mp4\n{\"input\": \"b.mkv\"}\nbroken.mp4\nmissing.mp4\nc.mp4\n")
    out = tmp_path / "out"

    results = raydata.tokenise_manifest(str(manifest), str(out), workers=2, clips_per_shard=2)

    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [bool(r["error"]) for r in results] == [False, False, True, True, False]
    with open(out / "results.jsonl") as f:
        assert [json.loads(line) for line in f] == results
    assert not [n for n in os.listdir(out) if "partial" in n]
    shards = {}
    for name in sorted(n for n in os.listdir(out) if n.endswith(".tar")):
        shards.update(raydata.read_shard(str(out / name)))
    assert sorted(shards) == sorted(r["key"] for r in results if not r["error"])

    for clip, row in zip(clips, [results[0], results[1], results[4]]):
        want, end = cli_encode(clip, tmp_path / "cli.vtok")
        tokens, header = shards[row["key"]]
        assert tokens.dtype == np.uint16 and tokens.shape == want.shape
        assert np.array_equal(tokens, want), clip
        assert isinstance(end, End) and header["frames"] == row["frames"] == end.frames_in
        assert header["latent_frames"] == row["latents"] == end.latent_frames_out
        assert header["model_name"] == "vtok-4x8x8" and len(header["weights_sha256"]) == 64
    assert shards[results[1]["key"]][1]["model_size"] == [344, 256]
