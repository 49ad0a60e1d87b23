"""Export: PyTorch state dict -> the release format the Swift engine loads, and back.

File: safetensors, little-endian F32 tensors, metadata:
  format        "vtok-weights"
  vtok_config   ModelConfig JSON (versioned); the engine builds its graph from this
  weights_layout "conv:(kt,kh,kw,cin,cout) norm:(c) bias:(cout)"
  + free-form release info (training steps, date)

Layout conversion happens here, once: PyTorch conv weight (cout, cin, kt, kh, kw) -> (kt, kh, kw, cin, cout), so
that a causal conv is one GEMM of im2col rows (dt, dy, dx, ci) against a (K, cout) row-major matrix.

Name table (engine name  <-  PyTorch state-dict name), for each op name N in the config:
  conv N:  N.weight, N.bias              <-  {encoder|decoder}.mods.N_.conv.weight / .bias
  res  N:  N.norm1.weight                <-  ...mods.N_.norm1.weight
           N.conv1.weight, N.conv1.bias  <-  ...mods.N_.conv1.conv.weight / .bias
           N.norm2.weight                <-  ...mods.N_.norm2.weight
           N.conv2.weight, N.conv2.bias  <-  ...mods.N_.conv2.conv.weight / .bias
  norm N:  N.weight                      <-  ...mods.N_.weight
(N_ is N with '.' replaced by '_').

  python export.py --ckpt ../runs/main/last.pt --out ../models/vtok-4x8x8.safetensors [--raw]
"""
from __future__ import annotations

import argparse
import hashlib
import json

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from vtok_model import ModelConfig, Tokenizer


def name_table(cfg: ModelConfig) -> list[tuple[str, str, str]]:
    """(engine name, torch name, kind) for every tensor, in config order."""
    rows = []
    for side, ops in (("encoder", cfg.encoder), ("decoder", cfg.decoder)):
        for op in ops:
            if op["op"] not in ("conv", "res", "norm"):
                continue
            n = op["name"]
            t = f"{side}.mods.{n.replace('.', '_')}"
            if op["op"] == "conv":
                rows += [(f"{n}.weight", f"{t}.conv.weight", "conv"), (f"{n}.bias", f"{t}.conv.bias", "vec")]
            elif op["op"] == "norm":
                rows += [(f"{n}.weight", f"{t}.weight", "vec")]
            else:
                for sub in ("1", "2"):
                    rows += [(f"{n}.norm{sub}.weight", f"{t}.norm{sub}.weight", "vec"),
                             (f"{n}.conv{sub}.weight", f"{t}.conv{sub}.conv.weight", "conv"),
                             (f"{n}.conv{sub}.bias", f"{t}.conv{sub}.conv.bias", "vec")]
    return rows


def to_engine(model: Tokenizer) -> dict[str, torch.Tensor]:
    sd = model.state_dict()
    out = {}
    for eng, tn, kind in name_table(model.cfg):
        w = sd[tn].detach().float().cpu()
        if kind == "conv":
            w = w.permute(2, 3, 4, 1, 0)                                   # (kt, kh, kw, cin, cout)
        out[eng] = w.contiguous()
    return out


def save_release(model: Tokenizer, path: str, info: dict | None = None) -> str:
    meta = {"format": "vtok-weights", "vtok_config": model.cfg.to_json(),
            "weights_layout": "conv:(kt,kh,kw,cin,cout) norm:(c) bias:(cout)"}
    for k, v in (info or {}).items():
        meta[k] = str(v)
    save_file(to_engine(model), path, metadata=meta)
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def load_release(path: str) -> tuple[Tokenizer, dict]:
    with safe_open(path, "pt") as f:
        meta = f.metadata()
        if meta.get("format") != "vtok-weights":
            raise ValueError(f"{path}: not a vtok weights file")
        cfg = ModelConfig.from_json(meta["vtok_config"])
        model = Tokenizer(cfg)
        sd = model.state_dict()
        for eng, tn, kind in name_table(cfg):
            w = f.get_tensor(eng)
            if kind == "conv":
                w = w.permute(4, 3, 0, 1, 2)
            if tuple(w.shape) != tuple(sd[tn].shape):
                raise ValueError(f"{eng}: shape {tuple(w.shape)} != {tuple(sd[tn].shape)}")
            sd[tn] = w.contiguous()
        model.load_state_dict(sd)
    return model.eval(), meta


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ckpt", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--raw", action="store_true", help="export the raw weights instead of the EMA")
    a = p.parse_args()
    st = torch.load(a.ckpt, map_location="cpu", weights_only=False)
    model = Tokenizer(ModelConfig.from_json(st["config"]))
    model.load_state_dict(st["model" if a.raw else "ema"])
    digest = save_release(model, a.out, {"training_steps": st["step"], "weights": "raw" if a.raw else "ema"})
    print(json.dumps({"out": a.out, "sha256": digest, "steps": st["step"]}))


if __name__ == "__main__":
    main()
