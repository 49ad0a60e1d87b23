"""Engine fixtures: tiny random-weight models in the release format, with inputs and expected outputs.

  python fixtures.py --out ../Tests/VtokEngineTests/Fixtures
writes tiny-model.safetensors (weights, same format as the release) and tiny-cases.safetensors:
  case{N}.frames      (N, H, W, 3) uint8       input RGB frames (what the media layer hands the engine)
  case{N}.latents     (L, h, w, C) float32     continuous latents in [-1, 1] (bounded, normalised), channels-last
  case{N}.prebound    (L, h, w, C) float32     encoder output before FSQ bound
  case{N}.tokens      (L, h, w) int32          token indices
  case{N}.decoded     (N, H, W, 3) float32     decoder output from the tokens, in [-1, 1] units, unclamped
  case{N}.decoded_continuous (N, H, W, 3)      decoder output from the continuous latents
(L = 1 + ceil((N - 1) / 4) latents), and the same for a version-2 decoder on the same encoder (tiny-model-d2,
tiny-d2-cases; --only-v2 writes just those).
With --model PATH --clip PATH it also writes the same for the released model on a short clip (release-cases).
Frame sizes are deliberately not square to catch transposed axes. The configs, weights and cases come from
vtok_model/testing.py; this script only writes them.
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import torch
from safetensors.torch import save_file

from vtok_model import Tokenizer
from vtok_model.testing import case_tensors, randomise, smooth_frames, tiny_config, tiny_config_v2
from vtok_model.weights import file_sha256, load_release, save_release


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", default="../Tests/VtokEngineTests/Fixtures")
    p.add_argument("--model", default="")
    p.add_argument("--clip", default="")
    p.add_argument("--only-v2", action="store_true",
                   help="write only the version-2 decoder fixtures (tiny-model-d2, tiny-d2-cases), keeping the rest")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(0)
    if a.only_v2:
        return write_v2(a.out)
    model = Tokenizer(tiny_config()).eval()
    randomise(model, 1)
    save_release(model, os.path.join(a.out, "tiny-model.safetensors"), {"purpose": "engine test fixture"})
    cases = {}
    for n, (h, w) in ((9, (32, 48)), (11, (24, 40)), (1, (16, 24))):
        cases.update(case_tensors(model, smooth_frames(n, h, w, seed=n), f"case{n}"))
    save_file(cases, os.path.join(a.out, "tiny-cases.safetensors"), metadata={"format": "vtok-fixture"})
    if a.model and a.clip:
        from vtok_model.data import read_clip
        rel, _ = load_release(a.model)
        frames = read_clip(a.clip, None, max_frames=9)[:, 96:144, 64:128]                   # (9, 48, 64, 3)
        save_file(case_tensors(rel, np.ascontiguousarray(frames), "clip"),
                  os.path.join(a.out, "release-cases.safetensors"), metadata={"format": "vtok-fixture"})
    write_v2(a.out)


def write_v2(out: str) -> None:
    """A version-2 decoder on the tiny encoder (copied from tiny-model.safetensors, so its identity matches and
    streams of the tiny model are declared readable)."""
    v1_path = os.path.join(out, "tiny-model.safetensors")
    v1, _ = load_release(v1_path)
    model = Tokenizer(tiny_config_v2()).eval()
    randomise(model, 2)
    sd = model.state_dict()
    sd.update({k: v for k, v in v1.state_dict().items() if k.startswith("encoder.") or k.startswith("fsq.")})
    model.load_state_dict(sd)
    reads = [file_sha256(v1_path)]
    save_release(model, os.path.join(out, "tiny-model-d2.safetensors"), {"purpose": "engine test fixture"}, reads)
    cases = {}
    for n, (h, w) in ((9, (32, 48)), (11, (24, 40)), (1, (16, 24))):
        cases.update(case_tensors(model, smooth_frames(n, h, w, seed=n), f"case{n}"))
    save_file(cases, os.path.join(out, "tiny-d2-cases.safetensors"), metadata={"format": "vtok-fixture"})
    for f in sorted(os.listdir(out)):
        print(f, os.path.getsize(os.path.join(out, f)))


if __name__ == "__main__":
    main()
