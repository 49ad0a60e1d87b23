"""Test support: tiny model configs, deterministic random weights, synthetic frames, and the reference outputs
the engine fixtures hold (fixtures.py writes them; tests/ use them directly).

Frame sizes the callers pick are deliberately not square, to catch transposed axes.
"""
from __future__ import annotations

import numpy as np
import torch

from .config import ModelConfig
from .model import Tokenizer


def tiny_config() -> ModelConfig:
    """A small version-1 model with every op kind: patchify t=4 s=4, s2d/d2s by 2, res, norm, silu."""
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
    dec = tiny_config().decoder[:4] + [                                 # the tiny decoder's trunk, as in decoder_v2()
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
    """Deterministic weights from `seed`: norms near 1, biases small, convs scaled by fan-in (activations stay
    in range through the tiny models)."""
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
    """The reference outputs for frames (N, H, W, 3) uint8, by name, with L latents of (h, w, C):
    {prefix}.frames (N, H, W, 3) uint8, .prebound and .latents (L, h, w, C) f32 (before / after the FSQ bound),
    .tokens (L, h, w) int32, .decoded and .decoded_continuous (N, H, W, 3) f32 in [-1, 1] units, unclamped."""
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
