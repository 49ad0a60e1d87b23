import subprocess

import numpy as np
import pytest

from vtok_model.data import ClipSampler, build_pack, read_clip, to_model_input


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("videos")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1",
                    "-pix_fmt", "yuv420p", str(d / "a.mp4")], check=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=96x128:rate=50:duration=1",
                    "-pix_fmt", "yuv420p", str(d / "b.mkv")], check=True)
    (d / "MANIFEST.tsv").write_text("file\tsource_repo\tlicence\tfps\n"
                                    "a.mp4\tx\tMIT\t25\nb.mkv\tx\tMIT\t50\nheld.mp4\tx\tMIT\t25\n")
    return d


def test_read_clip_shape(tiny_dir):
    clip = read_clip(str(tiny_dir / "a.mp4"), 64)
    assert clip.shape == (25, 64, 88, 3) and clip.dtype == np.uint8     # the CLI's plan: sides rounded to 8


def test_pack_and_sample(tiny_dir, tmp_path):
    idx = build_pack(str(tiny_dir), str(tmp_path / "p"), short_side=64, max_frames=20, exclude=["held.mp4"])
    assert [c["file"] for c in idx["clips"]] == ["a.mp4", "b.mkv"]
    assert idx["clips"][1]["fps"] == 25.0                  # 50 fps clip taken every second frame
    assert idx["clips"][1]["w"] == 64 and idx["clips"][1]["h"] == 88
    s = ClipSampler(str(tmp_path / "p"), seed=1)
    u8 = s.sample(4, 9, 32)
    assert u8.shape == (4, 9, 32, 32, 3)
    x = to_model_input(u8)
    assert x.shape == (4, 3, 9, 32, 32) and x.min() >= -1 and x.max() <= 1
    # clips are real frames: consecutive frames of one sample differ little compared with random pairs
    first = s.clip_array(0)
    assert np.array_equal(first[0], read_clip(str(tiny_dir / "a.mp4"), 64)[0])


def test_sampler_is_seeded(tiny_dir, tmp_path):
    build_pack(str(tiny_dir), str(tmp_path / "p"), short_side=64, max_frames=20, exclude=["held.mp4"])
    a = ClipSampler(str(tmp_path / "p"), seed=3).sample(2, 5, 32)
    b = ClipSampler(str(tmp_path / "p"), seed=3).sample(2, 5, 32)
    assert np.array_equal(a, b)
