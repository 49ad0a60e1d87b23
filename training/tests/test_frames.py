"""frames.py reproduces the CLI's size plan and centre crop (Sources/VtokMedia/SizePolicy.swift), and with the
release binary, the CLI's pixels: the reference model's tokens on frames.py's frames equal `vtok encode`'s."""
import os
import subprocess
import sys

import numpy as np
import pytest

from vtok_model.frames import centre_crop, plan_short_side, read_frames

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_plan_matches_size_policy():
    assert plan_short_side(1280, 720) == (456, 256)          # 455.1 -> 456
    assert plan_short_side(854, 480) == (456, 256)
    assert plan_short_side(256, 256) == (256, 256)
    assert plan_short_side(720, 1280) == (256, 456)
    assert plan_short_side(100, 60) == (424, 256)            # upscale, 426.7 -> 424


def test_centre_crop_even_and_centred():
    assert centre_crop(1280, 720, 256, 256) == (280, 0, 720, 720)
    assert centre_crop(720, 1280, 1, 1) == (0, 280, 720, 720)
    assert centre_crop(641, 480, 1, 1) == (80, 0, 480, 480)


def binary():
    b = os.environ.get("VTOK_BINARY", os.path.join(ROOT, ".build/release/vtok"))
    if not os.path.exists(b):
        if os.environ.get("CI"):
            pytest.fail(f"release binary {b} missing in CI")
        pytest.skip("release binary not built")
    return b


def test_tokens_match_the_cli(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "python"))
    from vtok_stream import Tokens, read_stream
    from export import load_release
    from vtok_model.model import EncoderStream
    import torch
    clip = os.path.join(ROOT, "samples/sample.mp4")
    out = tmp_path / "s.vtok"
    subprocess.run([binary(), "encode", clip, "--size", "128x128", "--crop", "--max-frames", "9", "-o", str(out)],
                   check=True, capture_output=True)
    cli = np.stack([e.tokens for e in read_stream(open(out, "rb")) if isinstance(e, Tokens)])
    frames = read_frames(clip, (128, 128), crop=True, max_frames=9)
    model, _ = load_release(os.path.join(ROOT, "models/vtok-4x8x8.safetensors"))
    x = torch.from_numpy(frames).permute(3, 0, 1, 2).unsqueeze(0).float() / 127.5 - 1
    es = EncoderStream(model)
    toks = [r[0] for r in (es.feed(x), es.finish()) if r is not None]
    ref = torch.cat(toks, 1)[0].numpy()
    assert ref.shape == cli.shape
    assert (ref == cli).mean() >= 0.99, f"only {(ref == cli).mean():.3f} of tokens agree"
