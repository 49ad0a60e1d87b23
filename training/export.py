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
import struct

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from vtok_model import ModelConfig, Tokenizer


def name_table(cfg: ModelConfig, sides=("encoder", "decoder")) -> list[tuple[str, str, str]]:
    """(engine name, torch name, kind) for every tensor, in config order."""
    rows = []
    for side, ops in (("encoder", cfg.encoder), ("decoder", cfg.decoder)):
        if side not in sides:
            continue
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


def _op_line(op: dict) -> str:
    fields = {"patchify": ("t", "s"), "conv": ("name", "cin", "cout", "kt", "ks"), "res": ("name", "c", "kt"),
              "s2d": ("f",), "d2s": ("f",), "d2t": ("f",), "norm": ("name", "c"), "silu": (),
              "unpatchify": ("t", "s")}[op["op"]]
    return " ".join([op["op"]] + [str(op[k]) for k in fields])


def encoder_identity(cfg: ModelConfig, tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 (hex) of what makes the tokens: the encoder ops, the FSQ, and the encoder's tensors in engine
    layout. Two weights files with the same identity write the same tokens for the same frames, so a stream's
    tokens can be decoded by any decoder trained on them (docs/model.md, "Encoder identity"; the engine computes
    the same bytes in VtokModel+Identity.swift)."""
    h = hashlib.sha256()
    f32 = lambda v: struct.pack("<f", v).hex()
    h.update(("vtok-encoder/1\n"
              f"levels {','.join(str(l) for l in cfg.fsq_levels)}\n"
              f"temporal_factor {cfg.temporal_factor}\nspatial_factor {cfg.spatial_factor}\n"
              f"fsq_eps {f32(cfg.fsq_eps)}\nnorm_eps {f32(cfg.norm_eps)}\n").encode())
    for op in cfg.encoder:
        h.update((_op_line(op) + "\n").encode())
    for eng, _, _ in name_table(cfg, sides=("encoder",)):
        h.update((eng + "\n").encode())
        h.update(tensors[eng].detach().float().cpu().contiguous().numpy().astype("<f4").tobytes())
    return h.hexdigest()


def to_engine(model: Tokenizer) -> dict[str, torch.Tensor]:
    sd = model.state_dict()
    out = {}
    for eng, tn, kind in name_table(model.cfg):
        w = sd[tn].detach().float().cpu()
        if kind == "conv":
            w = w.permute(2, 3, 4, 1, 0)                                   # (kt, kh, kw, cin, cout)
        out[eng] = w.contiguous()
    return out


def save_release(model: Tokenizer, path: str, info: dict | None = None, reads: list[str] = ()) -> str:
    """Writes the release file; `reads` lists the sha256 (hex) of earlier weights files with the same encoder
    identity, whose version-1.0 streams (which name only the weights file) this file may decode."""
    tensors = to_engine(model)
    meta = {"format": "vtok-weights", "vtok_config": model.cfg.to_json(),
            "weights_layout": "conv:(kt,kh,kw,cin,cout) norm:(c) bias:(cout)",
            "vtok_encoder_sha256": encoder_identity(model.cfg, tensors)}
    if reads:
        meta["vtok_reads_weights_sha256"] = ",".join(reads)
    for k, v in (info or {}).items():
        meta[k] = str(v)
    save_file(tensors, path, metadata=meta)
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
    p.add_argument("--encoder-from", default="",
                   help="a released file whose encoder this checkpoint kept frozen (decoder-only training): its "
                        "encoder tensors are copied bit for bit, checked, and its streams declared readable")
    a = p.parse_args()
    st = torch.load(a.ckpt, map_location="cpu", weights_only=False)
    model = Tokenizer(ModelConfig.from_json(st["config"]))
    model.load_state_dict(st["model" if a.raw else "ema"])
    reads = []
    if a.encoder_from:
        src, _ = load_release(a.encoder_from)
        sd, ssd = model.state_dict(), src.state_dict()
        for k in ssd:
            if k.startswith("encoder.") or k.startswith("fsq."):
                if not torch.equal(sd[k], ssd[k]):
                    raise SystemExit(f"{k} differs from {a.encoder_from}: the encoder was not frozen")
        if encoder_identity(model.cfg, to_engine(model)) != encoder_identity(src.cfg, to_engine(src)):
            raise SystemExit("encoder identity differs")
        reads = [hashlib.sha256(open(a.encoder_from, "rb").read()).hexdigest()]
    digest = save_release(model, a.out, {"training_steps": st["step"], "weights": "raw" if a.raw else "ema"}, reads)
    print(json.dumps({"out": a.out, "sha256": digest, "steps": st["step"]}))


if __name__ == "__main__":
    main()
