"""Building blocks. Every tensor is (B, C, T, H, W). Nothing here computes statistics across T, H or W,
so streaming, chunking and frame size never change results.

Each temporal layer supports two modes:
  forward(x)             whole clip: the past is kt-1 zero frames.
  step(x, cache) -> y, cache   streaming: cache holds the last kt-1 input frames of this layer (B, C, kt-1, H, W),
                               initialised to zeros, so a clip split into any chunks gives identical outputs.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    """Per-position RMS norm over channels: y = x / sqrt(mean_c(x^2) + eps) * weight."""

    def __init__(self, c: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(c))                        # (C,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:                 # (B, C, T, H, W)
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(dim=1, keepdim=True) + self.eps)
        return (y * self.weight.view(1, -1, 1, 1, 1)).to(x.dtype)


class CausalConv3d(nn.Module):
    """Conv3d with kernel (kt, ks, ks): kt-1 frames of past padding (zeros), none from the future; zero 'same'
    padding in space. weight (Cout, Cin, kt, ks, ks), bias (Cout,)."""

    def __init__(self, cin: int, cout: int, kt: int, ks: int):
        super().__init__()
        self.kt, self.ks = kt, ks
        self.conv = nn.Conv3d(cin, cout, (kt, ks, ks), padding=(0, ks // 2, ks // 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kt > 1:
            x = F.pad(x, (0, 0, 0, 0, self.kt - 1, 0))
        return self.conv(x)

    def init_cache(self, x: torch.Tensor) -> torch.Tensor | None:
        if self.kt == 1:
            return None
        b, _, _, h, w = x.shape
        return x.new_zeros(b, self.conv.in_channels, self.kt - 1, h, w)

    def step(self, x: torch.Tensor, cache: torch.Tensor | None):
        if self.kt == 1:
            return self.conv(x), None
        if cache is None:
            cache = self.init_cache(x)
        full = torch.cat([cache, x], dim=2)                              # (B, C, kt-1+T, H, W)
        return self.conv(full), full[:, :, -(self.kt - 1):]


class ResBlock(nn.Module):
    """x + conv2(silu(norm2(conv1(silu(norm1(x)))))); conv1 (kt,3,3) mixes time, conv2 (1,3,3) space only."""

    def __init__(self, c: int, kt: int, eps: float):
        super().__init__()
        self.norm1 = RMSNorm(c, eps)
        self.conv1 = CausalConv3d(c, c, kt, 3)
        self.norm2 = RMSNorm(c, eps)
        self.conv2 = CausalConv3d(c, c, 1, 3)
        with torch.no_grad():
            self.conv2.conv.weight.mul_(0.1)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        return x + self.conv2(F.silu(self.norm2(h)))

    def step(self, x, cache):
        h, cache = self.conv1.step(F.silu(self.norm1(x)), cache)
        return x + self.conv2(F.silu(self.norm2(h))), cache


def space_to_depth(x: torch.Tensor, f: int) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, C*f*f, T, H/f, W/f); out channel = (c*f + dy)*f + dx."""
    b, c, t, h, w = x.shape
    x = x.view(b, c, t, h // f, f, w // f, f)
    return x.permute(0, 1, 4, 6, 2, 3, 5).reshape(b, c * f * f, t, h // f, w // f)


def depth_to_space(x: torch.Tensor, f: int) -> torch.Tensor:
    """Inverse of space_to_depth: (B, C*f*f, T, H, W) -> (B, C, T, H*f, W*f)."""
    b, cff, t, h, w = x.shape
    c = cff // (f * f)
    x = x.view(b, c, f, f, t, h, w)
    return x.permute(0, 1, 4, 5, 2, 6, 3).reshape(b, c, t, h * f, w * f)


def depth_to_time(x: torch.Tensor, f: int) -> torch.Tensor:
    """(B, C*f, T, H, W) -> (B, C, T*f, H, W); input channel c*f + dt becomes frame t*f + dt."""
    b, cf, t, h, w = x.shape
    x = x.view(b, cf // f, f, t, h, w)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, cf // f, t * f, h, w)


def patchify(x: torch.Tensor, t: int, s: int) -> torch.Tensor:
    """(B, 3, t*L, H, W) -> (B, 3*t*s*s, L, H/s, W/s); channel = ((c*t + dt)*s + dy)*s + dx."""
    b, c, tt, h, w = x.shape
    n = tt // t
    x = x.view(b, c, n, t, h // s, s, w // s, s)
    return x.permute(0, 1, 3, 5, 7, 2, 4, 6).reshape(b, c * t * s * s, n, h // s, w // s)


def unpatchify(x: torch.Tensor, t: int, s: int) -> torch.Tensor:
    """Inverse of patchify: (B, 3*t*s*s, L, h, w) -> (B, 3, t*L, h*s, w*s)."""
    b, ch, n, h, w = x.shape
    c = ch // (t * s * s)
    x = x.view(b, c, t, s, s, n, h, w)
    return x.permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(b, c, n * t, h * s, w * s)
