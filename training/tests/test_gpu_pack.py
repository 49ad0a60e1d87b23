"""gpu_pack.py: the compact pack for a GPU machine round-trips to the ordinary pack layout train.py reads: the
middle window of each clip, the same sizes, fps and order, frames close to the originals (lossy RGB H.264), and
a damaged file is refused rather than unpacked short."""
import json
import os
import shutil

import numpy as np
import pytest

import gpu_pack
from vtok_model.data import ClipSampler

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg CLI")


def ordinary_pack(prefix, clips):
    """clips: list of (frames, h, w, fps) -> a pack of smooth moving gradients, as build_pack lays it out."""
    index = {"short_side": 64, "clips": [], "decoder": "test"}
    offset = 0
    with open(prefix + ".bin", "wb") as f:
        for i, (n, h, w, fps) in enumerate(clips):
            t, y, x = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), indexing="ij")
            arr = np.stack([(x * 3 + t * 2 + i * 40) % 256, (y * 2 + t) % 256, ((x + y) // 2 + 30 * i) % 256],
                           axis=-1).astype(np.uint8)
            f.write(arr.tobytes())
            index["clips"].append({"file": f"clip{i}.mp4", "offset": offset, "frames": n, "h": h, "w": w, "fps": fps})
            offset += arr.nbytes
    with open(prefix + ".json", "w") as f:
        json.dump(index, f)


def test_make_then_unpack_gives_the_middle_windows(tmp_path):
    ordinary_pack(str(tmp_path / "train"), [(40, 64, 96, 30.0), (20, 64, 64, 25.0)])
    idx = gpu_pack.make(str(tmp_path / "train"), str(tmp_path / "compact"), frames=24, crf=12)
    assert [c["frames"] for c in idx["clips"]] == [24, 20]
    back = gpu_pack.unpack(str(tmp_path / "compact"), str(tmp_path / "out" / "train"))
    assert [(c["file"], c["frames"], c["h"], c["w"], c["fps"]) for c in back["clips"]] == \
        [("clip0.mp4", 24, 64, 96, 30.0), ("clip1.mp4", 20, 64, 64, 25.0)]
    src, got = ClipSampler(str(tmp_path / "train")), ClipSampler(str(tmp_path / "out" / "train"))
    for i, t0 in [(0, 8), (1, 0)]:
        want = src.clip_array(i)[t0:t0 + got.index["clips"][i]["frames"]].astype(np.float64)
        have = got.clip_array(i).astype(np.float64)
        assert have.shape == want.shape
        assert 10 * np.log10(255 ** 2 / max(((have - want) ** 2).mean(), 1e-9)) > 35
    batch = got.sample(2, 17, 64)                                 # what train.py draws from it
    assert batch.shape == (2, 17, 64, 64, 3)


def test_a_cut_file_is_refused(tmp_path):
    ordinary_pack(str(tmp_path / "train"), [(30, 64, 64, 30.0)])
    gpu_pack.make(str(tmp_path / "train"), str(tmp_path / "compact"), frames=30, crf=12)
    video = tmp_path / "compact" / "000.mkv"
    video.write_bytes(video.read_bytes()[: os.path.getsize(video) // 3])
    with pytest.raises(ValueError, match="decoded"):
        gpu_pack.unpack(str(tmp_path / "compact"), str(tmp_path / "out" / "train"))
