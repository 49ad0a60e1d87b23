"""Reconstruction losses and metrics. Frames are (B, 3, T, H, W) in [-1, 1]."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _gauss(size: int = 7, sigma: float = 1.5, device=None) -> torch.Tensor:
    g = torch.exp(-((torch.arange(size, device=device) - size // 2) ** 2).float() / (2 * sigma ** 2))
    return g / g.sum()


def ssim(a: torch.Tensor, b: torch.Tensor, size: int = 7) -> torch.Tensor:
    """Mean SSIM over frames; a, b (B, 3, T, H, W) in [-1, 1], evaluated on [0, 1] with a separable Gaussian."""
    a = (a.float().transpose(1, 2).flatten(0, 1) + 1) / 2               # (B*T, 3, H, W)
    b = (b.float().transpose(1, 2).flatten(0, 1) + 1) / 2
    c = a.shape[1]
    g = _gauss(size, device=a.device)
    kx = g.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    ky = g.view(1, 1, -1, 1).repeat(c, 1, 1, 1)

    def blur(x):
        return F.conv2d(F.conv2d(x, kx, groups=c), ky, groups=c)

    mu_a, mu_b = blur(a), blur(b)
    saa = blur(a * a) - mu_a ** 2
    sbb = blur(b * b) - mu_b ** 2
    sab = blur(a * b) - mu_a * mu_b
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (saa + sbb + c2))
    return s.mean()


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR in dB on 8-bit values: both in [-1, 1], quantised to 0..255 as the pipeline does."""
    qa = torch.round((a.float().clamp(-1, 1) + 1) * 127.5)
    qb = torch.round((b.float().clamp(-1, 1) + 1) * 127.5)
    mse = ((qa - qb) ** 2).mean().item()
    return 99.0 if mse == 0 else 10 * torch.log10(torch.tensor(255.0 ** 2 / mse)).item()


def recon_loss(y: torch.Tensor, target: torch.Tensor, ssim_weight: float = 0.2) -> tuple[torch.Tensor, dict]:
    y = y.float()
    l1 = (y - target).abs().mean()
    loss = l1
    s = torch.tensor(0.0)
    if ssim_weight > 0:
        s = ssim(y, target)
        loss = loss + ssim_weight * (1 - s)
    return loss, {"l1": l1.item(), "ssim": s.item()}
