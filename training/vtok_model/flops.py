"""FLOPs per frame at a given size, counted from the config (2 FLOPs per multiply-add; convolutions only, the
elementwise ops add under 2%). Encoder FLOPs are per input frame, decoder FLOPs per output frame: every latent
frame stands for temporal_factor frames."""
from __future__ import annotations

from .config import ModelConfig


def _walk(ops: list[dict], h: int, w: int) -> tuple[float, int, int]:
    """FLOPs per latent frame: ops after a d2t by f run f times as often."""
    flops = 0.0
    rate = 1
    for op in ops:
        k = op["op"]
        if k == "d2t":
            rate *= op["f"]
        if k == "patchify":
            h, w = h // op["s"], w // op["s"]
        elif k == "unpatchify":
            h, w = h * op["s"], w * op["s"]
        elif k == "s2d":
            h, w = h // op["f"], w // op["f"]
        elif k == "d2s":
            h, w = h * op["f"], w * op["f"]
        elif k == "conv":
            flops += rate * 2.0 * h * w * op["cin"] * op["cout"] * op["kt"] * op["ks"] ** 2
        elif k == "res":
            c = op["c"]
            flops += rate * 2.0 * h * w * c * c * 9 * (op["kt"] + 1)
    return flops, h, w


def flops_per_frame(cfg: ModelConfig, height: int = 256, width: int = 256) -> dict[str, float]:
    enc, _, _ = _walk(cfg.encoder, height, width)
    dec, _, _ = _walk(cfg.decoder, height // cfg.spatial_factor, width // cfg.spatial_factor)
    t = cfg.temporal_factor
    return {"encoder_per_frame": enc / t, "decoder_per_frame": dec / t, "encoder_per_latent": enc,
            "decoder_per_latent": dec}
