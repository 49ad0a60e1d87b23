"""Tokens <-> FSQ codes <-> normalised latents for a list of levels (docs/model.md, Sources/VtokEngine/FSQ.swift).

token = sum_i code_i * prod_{j<i} L_j (channel 0 least significant); the normalised latent of a code is
(code - floor(L/2)) / floor(L/2); a continuous latent (what `vtok encode --continuous` writes) rounds half to even
to the nearest code.
"""

import numpy as np


def _basis(levels):
    return np.cumprod((1,) + tuple(levels[:-1])).astype(np.int64)          # (c,)


def tokens_from_latents(latents, levels):
    """latents (..., c) float -> tokens (...) uint16: the nearest code in each channel."""
    levels = tuple(int(l) for l in levels)
    z = np.asarray(latents, dtype=np.float32)
    if z.shape[-1:] != (len(levels),):
        raise ValueError(f"latents have {z.shape[-1:]} channels, the model {len(levels)}")
    half = np.array([l // 2 for l in levels], dtype=np.float32)               # (c,)
    codes = np.rint(z * half) + half                                           # rint rounds half to even
    codes = np.clip(np.nan_to_num(codes, nan=0.0), 0, np.array(levels) - 1).astype(np.int64)
    return (codes * _basis(levels)).sum(axis=-1).astype(np.uint16)


def latents_from_tokens(tokens, levels):
    """tokens (...) integer -> normalised quantised latents (..., c) float32."""
    levels = tuple(int(l) for l in levels)
    t = np.asarray(tokens, dtype=np.int64)[..., None]
    codes = (t // _basis(levels)) % np.array(levels)
    half = np.array([l // 2 for l in levels], dtype=np.float32)
    return ((codes - half) / half).astype(np.float32)
