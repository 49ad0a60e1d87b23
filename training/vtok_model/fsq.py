"""Finite scalar quantisation (Mentzer et al. 2023, arXiv:2309.15505).

Each latent channel i is bounded to (-L_i/2, L_i/2) with tanh, rounded to one of L_i integer levels (straight-
through gradient), and the token is the mixed-radix index sum_i code_i * prod_{j<i} L_j, always in
[0, prod L_i). Rounding is round-half-to-even (torch.round), computed in fp32.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class FSQ(nn.Module):
    def __init__(self, levels: list[int], eps: float = 1e-3):
        super().__init__()
        self.levels_list = list(levels)
        self.eps = eps
        lv = torch.tensor(levels, dtype=torch.float32)
        self.register_buffer("levels", lv, persistent=False)                       # (C,)
        basis = [1]
        for level in levels[:-1]:
            basis.append(basis[-1] * level)
        self.register_buffer("basis", torch.tensor(basis, dtype=torch.int64), persistent=False)  # (C,)
        half_l = (lv - 1) * (1 - eps) / 2
        offset = torch.where(lv % 2 == 0, 0.5, 0.0)
        self.register_buffer("half_l", half_l, persistent=False)
        self.register_buffer("offset", offset, persistent=False)
        self.register_buffer("shift", torch.atanh(offset / half_l), persistent=False)
        self.register_buffer("half_width", torch.floor(lv / 2), persistent=False)

    @property
    def vocab_size(self) -> int:
        return math.prod(self.levels_list)

    def _view(self, t: torch.Tensor, dim: int, ndim: int) -> torch.Tensor:
        shape = [1] * ndim
        shape[dim] = -1
        return t.view(shape)

    def bound(self, z: torch.Tensor, dim: int = 1) -> torch.Tensor:
        """z (..., C at dim, ...) -> values in (-L/2, L/2), fp32."""
        v = lambda t: self._view(t, dim, z.ndim)
        return torch.tanh(z.float() + v(self.shift)) * v(self.half_l) - v(self.offset)

    def continuous(self, z: torch.Tensor, dim: int = 1) -> torch.Tensor:
        """The bounded pre-rounding latent, normalised to [-1, 1]: what the decoder accepts in continuous mode."""
        return self.bound(z, dim) / self._view(self.half_width, dim, z.ndim)

    def quantize(self, z: torch.Tensor, dim: int = 1) -> torch.Tensor:
        """Rounded latent normalised to [-1, 1] with a straight-through gradient."""
        b = self.bound(z, dim)
        q = b + (torch.round(b) - b).detach()
        return q / self._view(self.half_width, dim, z.ndim)

    def codes_to_indices(self, zhat: torch.Tensor, dim: int = 1) -> torch.Tensor:
        """Normalised quantised latent (..., C at dim, ...) -> int64 token indices (..., ...) without dim."""
        hw = self._view(self.half_width, dim, zhat.ndim)
        codes = torch.round(zhat.float() * hw + hw).to(torch.int64)
        codes = torch.minimum(torch.clamp(codes, min=0), self._view(self.levels.to(torch.int64) - 1, dim, zhat.ndim))
        return (codes * self._view(self.basis, dim, zhat.ndim)).sum(dim=dim)

    def indices_to_codes(self, idx: torch.Tensor, dim: int = 1) -> torch.Tensor:
        """int token indices (...) -> normalised quantised latent with channels inserted at dim."""
        idx = idx.to(torch.int64).unsqueeze(dim)
        basis = self._view(self.basis, dim, idx.ndim)
        levels = self._view(self.levels.to(torch.int64), dim, idx.ndim)
        codes = (idx // basis) % levels
        hw = self._view(self.half_width, dim, idx.ndim)
        return (codes.float() - hw) / hw

    def tokens(self, z: torch.Tensor, dim: int = 1) -> torch.Tensor:
        """Pre-bound latent -> token indices, computed in fp32."""
        b = self.bound(z, dim)
        hw = self._view(self.half_width, dim, z.ndim)
        return self.codes_to_indices(torch.round(b) / hw, dim)
