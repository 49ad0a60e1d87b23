"""The tokeniser: causal encoder -> FSQ -> causal decoder, built from ModelConfig op lists.

Time contract (temporal factor t = 4):
  frames x_0 .. x_{N-1}. Group 0 = [x_0, x_0, x_0, x_0] (frame 0 replicated), group k >= 1 = x_{4k-3} .. x_{4k}.
  A final partial group is completed by repeating the last frame; the true frame count travels separately.
  Latent k depends only on groups <= k. The decoder maps latent k to the 4 frames of group k; for k = 0 only the
  last of those 4 (frame 0) is emitted.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelConfig
from .fsq import FSQ
from .layers import (CausalConv3d, RMSNorm, ResBlock, depth_to_space, depth_to_time, patchify, space_to_depth,
                     unpatchify)


class OpStack(nn.Module):
    """A config op list as modules. Parameter names follow the op names (e.g. 'enc.res0.conv1.conv.weight')."""

    def __init__(self, ops: list[dict], eps: float):
        super().__init__()
        self.ops = ops
        self.mods = nn.ModuleDict()
        for op in ops:
            kind = op["op"]
            if kind == "conv":
                self.mods[self._key(op)] = CausalConv3d(op["cin"], op["cout"], op["kt"], op["ks"])
            elif kind == "res":
                self.mods[self._key(op)] = ResBlock(op["c"], op["kt"], eps)
            elif kind == "norm":
                self.mods[self._key(op)] = RMSNorm(op["c"], eps)

    @staticmethod
    def _key(op: dict) -> str:
        return op["name"].replace(".", "_")

    def _run_op(self, op, x, cache, streaming):
        kind = op["op"]
        if kind == "patchify":
            return patchify(x, op["t"], op["s"]), cache
        if kind == "unpatchify":
            return unpatchify(x, op["t"], op["s"]), cache
        if kind == "s2d":
            return space_to_depth(x, op["f"]), cache
        if kind == "d2s":
            return depth_to_space(x, op["f"]), cache
        if kind == "d2t":
            return depth_to_time(x, op["f"]), cache
        if kind == "silu":
            return F.silu(x), cache
        mod = self.mods[self._key(op)]
        if kind == "norm":
            return mod(x), cache
        if streaming and kind in ("conv", "res"):
            return mod.step(x, cache)
        return mod(x), cache

    def forward(self, x: torch.Tensor, start: int = 0, end: int | None = None) -> torch.Tensor:
        """Whole clip through ops[start:end] (all of them by default)."""
        for op in self.ops[start:end]:
            x, _ = self._run_op(op, x, None, False)
        return x

    def step(self, x: torch.Tensor, caches: list | None):
        """Streaming: caches is a list with one entry per op (None for ops without time state)."""
        if caches is None:
            caches = [None] * len(self.ops)
        new = []
        for op, c in zip(self.ops, caches):
            x, c = self._run_op(op, x, c, True)
            new.append(c)
        return x, new


class Tokenizer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.t = cfg.temporal_factor
        self.encoder = OpStack(cfg.encoder, cfg.norm_eps)
        self.decoder = OpStack(cfg.decoder, cfg.norm_eps)
        self.fsq = FSQ(cfg.fsq_levels, cfg.fsq_eps)

    # ---- time grouping -------------------------------------------------------------------------------
    def group_frames(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 3, N, H, W), N >= 1 -> (B, 3, 4*L, H, W): frame 0 replicated to a full group, the last partial
        group completed by repeating the last frame. L = 1 + ceil((N-1)/4)."""
        t = self.t
        first = x[:, :, :1].expand(-1, -1, t - 1, -1, -1)
        x = torch.cat([first, x], dim=2)
        rem = x.shape[2] % t
        if rem:
            x = torch.cat([x, x[:, :, -1:].expand(-1, -1, t - rem, -1, -1)], dim=2)
        return x

    @staticmethod
    def num_latents(n_frames: int, t: int = 4) -> int:
        return 1 + (n_frames - 1 + t - 1) // t

    # ---- whole clip ----------------------------------------------------------------------------------
    def encode_pre(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 3, N, H, W) in [-1, 1] -> pre-bound latent z (B, C, L, H/8, W/8)."""
        return self.encoder(self.group_frames(x))

    def decode_grouped(self, zhat: torch.Tensor) -> torch.Tensor:
        """zhat (B, C, L, h, w) normalised latent -> (B, 3, 4L, H, W); group 0's first 3 frames are the
        replicated-frame outputs (dropped by decode())."""
        return self.decoder(zhat)

    def decode(self, zhat: torch.Tensor, n_frames: int | None = None) -> torch.Tensor:
        y = self.decode_grouped(zhat)[:, :, self.t - 1:]
        return y if n_frames is None else y[:, :, :n_frames]

    def forward(self, x: torch.Tensor, continuous: bool = False):
        """Training: returns (grouped reconstruction (B,3,4L,H,W), grouped target, pre-bound latent)."""
        target = self.group_frames(x)
        z = self.encoder(target)
        zhat = self.fsq.continuous(z) if continuous else self.fsq.quantize(z)
        return self.decoder(zhat), target, z

    @torch.no_grad()
    def encode_tokens(self, x: torch.Tensor):
        """x (B,3,N,H,W) -> (tokens (B, L, h, w) int64, continuous latent (B, C, L, h, w) in [-1, 1])."""
        z = self.encode_pre(x)
        return self.fsq.tokens(z), self.fsq.continuous(z)


class EncoderStream:
    """Reference streaming encoder: feed frames in any chunks, get the latents they complete."""

    def __init__(self, model: Tokenizer):
        self.m = model
        self.reset()

    def reset(self):
        self.caches = None
        self.pending = None          # (B, 3, n<4, H, W) frames of the current incomplete group
        self.n_frames = 0

    def _run(self, groups: torch.Tensor):
        z, self.caches = self.m.encoder.step(groups, self.caches)
        return self.m.fsq.tokens(z), self.m.fsq.continuous(z), z

    @torch.no_grad()
    def feed(self, x: torch.Tensor):
        """x (B, 3, n, H, W) -> (tokens (B, l, h, w), continuous (B, C, l, h, w), z) for the l completed latents."""
        t = self.m.t
        if self.n_frames == 0 and x.shape[2] > 0:
            x = torch.cat([x[:, :, :1].expand(-1, -1, t - 1, -1, -1), x], dim=2)
            self.n_frames -= t - 1
        self.n_frames += x.shape[2]
        if self.pending is not None:
            x = torch.cat([self.pending, x], dim=2)
        full = (x.shape[2] // t) * t
        self.pending = x[:, :, full:] if full < x.shape[2] else None
        if full == 0:
            return None
        return self._run(x[:, :, :full])

    @torch.no_grad()
    def finish(self):
        """Complete the last partial group by repeating its last frame."""
        if self.pending is None:
            return None
        t = self.m.t
        p = self.pending
        self.pending = None
        g = torch.cat([p, p[:, :, -1:].expand(-1, -1, t - p.shape[2], -1, -1)], dim=2)
        return self._run(g)


class DecoderStream:
    """Reference streaming decoder: feed latents (normalised, (B, C, l, h, w)), get the frames they complete."""

    def __init__(self, model: Tokenizer):
        self.m = model
        self.reset()

    def reset(self):
        self.caches = None
        self.n_latents = 0

    @torch.no_grad()
    def feed(self, zhat: torch.Tensor) -> torch.Tensor:
        y, self.caches = self.m.decoder.step(zhat, self.caches)
        if self.n_latents == 0:
            y = y[:, :, self.m.t - 1:]
        self.n_latents += zhat.shape[2]
        return y

    @torch.no_grad()
    def feed_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, l, h, w) int -> frames."""
        return self.feed(self.m.fsq.indices_to_codes(tokens, dim=1))
