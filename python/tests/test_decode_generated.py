"""Generated token ids back to video: a stream written by vtok_stream's writer for a model file is decoded by the
release `vtok decode` (with that model) into exactly the frames the stream describes."""

import json
import shutil
import subprocess

import numpy as np
import pytest

from helpers import RELEASE_MODEL, TINY_MODEL, require_vtok_binary
from vtok_stream import Tokens, read_stream, write_stream

pytestmark = pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe checks the video")


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                          "stream=width,height,nb_read_frames,r_frame_rate", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["streams"][0]


@pytest.mark.parametrize("model,grid", [(RELEASE_MODEL, (4, 6)), (TINY_MODEL, (4, 6))])
def test_generated_tokens_decode_to_video(tmp_path, model, grid):
    vtok = require_vtok_binary()
    rng = np.random.default_rng(3)
    tokens = rng.integers(0, 64000, size=(3,) + grid, dtype=np.uint16)     # (L, h, w): as a language model emits
    stream = tmp_path / "gen.vtok"
    write_stream(str(stream), tokens, model=model, frames=7, frame_rate=(25, 1))
    video = tmp_path / "gen.mp4"
    r = subprocess.run([vtok, "decode", str(stream), "--model", model, "-o", str(video)], capture_output=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    s = probe(str(video))
    assert (s["width"], s["height"], int(s["nb_read_frames"]), s["r_frame_rate"]) == (48, 32, 7, "25/1")
    info = json.loads(subprocess.run([vtok, "info", "--json", str(stream)], capture_output=True, check=True,
                                     timeout=60).stdout)
    assert info["frames"] == 7 and info["latent_frames"] == 3 and info["truncated"] is False


def test_a_stream_for_another_model_is_refused_by_decode(tmp_path):
    """The header names the model by its file's SHA-256: tokens written for the tiny model are not decoded with
    the released one."""
    vtok = require_vtok_binary()
    stream = tmp_path / "gen.vtok"
    write_stream(str(stream), np.zeros((1, 2, 2), np.uint16), model=TINY_MODEL)
    r = subprocess.run([vtok, "decode", str(stream), "--model", RELEASE_MODEL, "-o", str(tmp_path / "x.mp4")],
                       capture_output=True, timeout=120)
    assert r.returncode != 0 and r.stderr.startswith(b"vtok:")

