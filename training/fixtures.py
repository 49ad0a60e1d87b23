"""Engine fixtures: tiny random-weight models in the release format, with inputs and expected outputs.

  python fixtures.py --out ../Tests/VtokEngineTests/Fixtures
writes tiny-model.safetensors (weights, same format as the release) and tiny-cases.safetensors:
  case{N}.frames      (N, H, W, 3) uint8       input RGB frames (what the media layer hands the engine)
  case{N}.latents     (L, h, w, C) float32     continuous latents in [-1, 1] (bounded, normalised), channels-last
  case{N}.prebound    (L, h, w, C) float32     encoder output before FSQ bound
  case{N}.tokens      (L, h, w) int32          token indices
  case{N}.decoded     (4L-3, H, W, 3) float32  decoder output from the tokens, in [-1, 1] units, unclamped
  case{N}.decoded_continuous (4L-3, H, W, 3)   decoder output from the continuous latents
With --model PATH --clip PATH it also writes the same for the released model on a short clip (release-cases).
Frame sizes are deliberately not square to catch transposed axes.
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import torch
from safetensors.torch import save_file

from export import load_release, save_release
from vtok_model import ModelConfig, Tokenizer


def tiny_config() -> ModelConfig:
    enc = [
        {"op": "patchify", "t": 4, "s": 4},
        {"op": "conv", "name": "enc.conv_in", "cin": 192, "cout": 16, "kt": 1, "ks": 3},
        {"op": "res", "name": "enc.res0", "c": 16, "kt": 2},
        {"op": "s2d", "f": 2},
        {"op": "conv", "name": "enc.down", "cin": 64, "cout": 24, "kt": 3, "ks": 1},
        {"op": "res", "name": "enc.res1", "c": 24, "kt": 3},
        {"op": "norm", "name": "enc.norm_out", "c": 24},
        {"op": "silu"},
        {"op": "conv", "name": "enc.conv_out", "cin": 24, "cout": 6, "kt": 1, "ks": 1},
    ]
    dec = [
        {"op": "conv", "name": "dec.conv_in", "cin": 6, "cout": 32, "kt": 2, "ks": 3},
        {"op": "res", "name": "dec.res0", "c": 32, "kt": 2},
        {"op": "conv", "name": "dec.up", "cin": 32, "cout": 64, "kt": 1, "ks": 1},
        {"op": "d2s", "f": 2},
        {"op": "res", "name": "dec.res1", "c": 16, "kt": 3},
        {"op": "norm", "name": "dec.norm_out", "c": 16},
        {"op": "silu"},
        {"op": "conv", "name": "dec.conv_out", "cin": 16, "cout": 192, "kt": 1, "ks": 3},
        {"op": "unpatchify", "t": 4, "s": 4},
    ]
    return ModelConfig(name="vtok-tiny-test", encoder=enc, decoder=dec)


def tiny_config_v2() -> ModelConfig:
    """The tiny encoder with a version-2 decoder: nested d2t (1 -> 2 -> 4 steps per latent), a kt=3 conv after
    the first d2t, d2s after d2t, unpatchify t=1 s=2."""
    dec = [
        {"op": "conv", "name": "dec.conv_in", "cin": 6, "cout": 32, "kt": 2, "ks": 3},
        {"op": "res", "name": "dec.res0", "c": 32, "kt": 2},
        {"op": "conv", "name": "dec.up", "cin": 32, "cout": 64, "kt": 1, "ks": 1},
        {"op": "d2s", "f": 2},
        {"op": "conv", "name": "dec.tup1", "cin": 16, "cout": 32, "kt": 1, "ks": 1},
        {"op": "d2t", "f": 2},
        {"op": "res", "name": "dec.res1", "c": 16, "kt": 3},
        {"op": "conv", "name": "dec.up2", "cin": 16, "cout": 64, "kt": 2, "ks": 1},
        {"op": "d2t", "f": 2},
        {"op": "d2s", "f": 2},
        {"op": "res", "name": "dec.res2", "c": 8, "kt": 2},
        {"op": "norm", "name": "dec.norm_out", "c": 8},
        {"op": "silu"},
        {"op": "conv", "name": "dec.conv_out", "cin": 8, "cout": 12, "kt": 1, "ks": 3},
        {"op": "unpatchify", "t": 1, "s": 2},
    ]
    return ModelConfig(name="vtok-tiny-test-d2", version=2, encoder=tiny_config().encoder, decoder=dec)


def randomise(model: Tokenizer, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1 and "norm" in name:
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif p.ndim == 1:
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) * (1.5 / fan_in) ** 0.5)


def smooth_frames(n: int, h: int, w: int, seed: int) -> np.ndarray:
    """Moving gradients plus noise: (n, h, w, 3) uint8."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.empty((n, h, w, 3), np.uint8)
    for t in range(n):
        base = np.stack([np.sin((xx + 3 * t) / 7), np.cos((yy - 2 * t) / 5), np.sin((xx + yy + t) / 11)], -1)
        img = 127.5 + 90 * base + rng.normal(0, 12, (h, w, 3))
        out[t] = np.clip(img, 0, 255).astype(np.uint8)
    return out


def case_tensors(model: Tokenizer, frames: np.ndarray, prefix: str) -> dict[str, torch.Tensor]:
    x = torch.from_numpy(frames).permute(3, 0, 1, 2).unsqueeze(0).float() / 127.5 - 1   # (1, 3, N, H, W)
    with torch.no_grad():
        z = model.encode_pre(x)                                                            # (1, C, L, h, w)
        cont = model.fsq.continuous(z)
        tok = model.fsq.tokens(z)                                                          # (1, L, h, w)
        zq = model.fsq.indices_to_codes(tok, dim=1)
        dec = model.decode(zq, frames.shape[0])
        decc = model.decode(cont, frames.shape[0])
    cl = lambda t: t[0].permute(1, 2, 3, 0).contiguous()                                   # -> (T, H, W, C)
    return {f"{prefix}.frames": torch.from_numpy(frames.copy()),
            f"{prefix}.prebound": cl(z).float(), f"{prefix}.latents": cl(cont).float(),
            f"{prefix}.tokens": tok[0].to(torch.int32).contiguous(),
            f"{prefix}.decoded": cl(dec).float(), f"{prefix}.decoded_continuous": cl(decc).float()}


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
    import hashlib
    v1_path = os.path.join(out, "tiny-model.safetensors")
    v1, _ = load_release(v1_path)
    model = Tokenizer(tiny_config_v2()).eval()
    randomise(model, 2)
    sd = model.state_dict()
    sd.update({k: v for k, v in v1.state_dict().items() if k.startswith("encoder.") or k.startswith("fsq.")})
    model.load_state_dict(sd)
    reads = [hashlib.sha256(open(v1_path, "rb").read()).hexdigest()]
    save_release(model, os.path.join(out, "tiny-model-d2.safetensors"), {"purpose": "engine test fixture"}, reads)
    cases = {}
    for n, (h, w) in ((9, (32, 48)), (11, (24, 40)), (1, (16, 24))):
        cases.update(case_tensors(model, smooth_frames(n, h, w, seed=n), f"case{n}"))
    save_file(cases, os.path.join(out, "tiny-d2-cases.safetensors"), metadata={"format": "vtok-fixture"})
    for f in sorted(os.listdir(out)):
        print(f, os.path.getsize(os.path.join(out, f)))


if __name__ == "__main__":
    main()
