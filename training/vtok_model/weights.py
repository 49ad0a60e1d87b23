"""Weights: PyTorch model <-> the release file the Swift engine loads. Names, save, load.

File: safetensors, little-endian F32 tensors, metadata:
  format                     "vtok-weights"
  vtok_config                ModelConfig JSON (versioned); the engine builds its graph from this
  weights_layout             "conv:(kt,kh,kw,cin,cout) norm:(c) bias:(cout)"
  vtok_encoder_sha256        the encoder identity (below)
  vtok_reads_weights_sha256  optional: comma-separated sha256 of earlier files with the same encoder identity
  + free-form release info (training steps, date)

Layout conversion happens here, once: PyTorch conv weight (cout, cin, kt, kh, kw) -> (kt, kh, kw, cin, cout), so
that a causal conv is one GEMM of im2col rows (dt, dy, dx, ci) against a (K, cout) row-major matrix.

The name table, the one list of tensors a release file holds (`name_table`). For each op named N in the
config, encoder ops first, then decoder ops, in config order (engine name, its shape  <-  PyTorch state-dict name):
  conv N:  N.weight (kt, ks, ks, cin, cout), N.bias (cout)   <-  {encoder|decoder}.mods.N_.conv.weight / .bias
  res  N:  N.norm1.weight (c)                                 <-  ...mods.N_.norm1.weight
           N.conv1.weight (kt, 3, 3, c, c), N.conv1.bias (c)  <-  ...mods.N_.conv1.conv.weight / .bias
           N.norm2.weight (c)                                 <-  ...mods.N_.norm2.weight
           N.conv2.weight (1, 3, 3, c, c), N.conv2.bias (c)   <-  ...mods.N_.conv2.conv.weight / .bias
  norm N:  N.weight (c)                                       <-  ...mods.N_.weight
  (N_ is N with '.' replaced by '_'; patchify, s2d, d2s, d2t, silu and unpatchify have no tensors.)
The engine reads the same names in Sources/VtokEngine/LayerWeights.swift (`WeightReader.layer`) and hashes the
encoder's in the same order in VtokModel+Identity.swift; it refuses a file with a tensor missing or extra.
tests/test_weights_names.py checks this table against every committed weights file (models/, the engine
fixtures) name for name, and their encoder identities, so the two sides cannot drift apart unnoticed.
"""
from __future__ import annotations

import hashlib
import struct

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from .config import ModelConfig
from .model import Tokenizer

FORMAT = "vtok-weights"
LAYOUT = "conv:(kt,kh,kw,cin,cout) norm:(c) bias:(cout)"


def name_table(cfg: ModelConfig, sides=("encoder", "decoder")) -> list[tuple[str, str, str]]:
    """(engine name, torch name, kind) for every tensor, in config order; kind is "conv" or "vec"."""
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


def engine_names(cfg: ModelConfig, sides=("encoder", "decoder")) -> list[str]:
    """The engine tensor names of `name_table`, in order: exactly the tensors a release file for cfg holds."""
    return [eng for eng, _, _ in name_table(cfg, sides)]


def file_sha256(path: str) -> str:
    """SHA-256 (hex) of a file's bytes: how streams name the weights file that wrote them."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


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
    for eng in engine_names(cfg, sides=("encoder",)):
        h.update((eng + "\n").encode())
        h.update(tensors[eng].detach().float().cpu().contiguous().numpy().astype("<f4").tobytes())
    return h.hexdigest()


def to_engine(model: Tokenizer) -> dict[str, torch.Tensor]:
    """The model's tensors by engine name, in engine layout (conv (kt, kh, kw, cin, cout)), f32 on the CPU."""
    sd = model.state_dict()
    out = {}
    for eng, tn, kind in name_table(model.cfg):
        w = sd[tn].detach().float().cpu()
        if kind == "conv":
            w = w.permute(2, 3, 4, 1, 0)                                   # (kt, kh, kw, cin, cout)
        out[eng] = w.contiguous()
    return out


def save_release(model: Tokenizer, path: str, info: dict | None = None, reads: list[str] = ()) -> str:
    """Writes the release file and returns its sha256 (hex); `reads` lists the sha256 (hex) of earlier weights
    files with the same encoder identity, whose version-1.0 streams (which name only the weights file) this file
    may decode."""
    tensors = to_engine(model)
    meta = {"format": FORMAT, "vtok_config": model.cfg.to_json(), "weights_layout": LAYOUT,
            "vtok_encoder_sha256": encoder_identity(model.cfg, tensors)}
    if reads:
        meta["vtok_reads_weights_sha256"] = ",".join(reads)
    for k, v in (info or {}).items():
        meta[k] = str(v)
    save_file(tensors, path, metadata=meta)
    canonicalise_header(path)
    return file_sha256(path)


def canonicalise_header(path: str) -> None:
    """Rewrites the safetensors JSON header with sorted keys and no spaces (safetensors writes the metadata in
    hash order, so the same weights gave another sha256 on every save); the tensor bytes are untouched. Same
    model, same file, same sha256: streams name it (weights_sha256) and later files declare they read it."""
    import json
    import struct
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)                      # keep the data section 8-byte aligned
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
    import os
    os.replace(path + ".tmp", path)


def load_release(path: str) -> tuple[Tokenizer, dict]:
    """The model in eval mode and the file's metadata; ValueError if it is not a vtok weights file or a tensor's
    shape does not fit its config."""
    with safe_open(path, "pt") as f:
        meta = f.metadata()
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not a vtok weights file")
        cfg = ModelConfig.from_json(meta["vtok_config"])
        model = Tokenizer(cfg)
        sd = model.state_dict()
        for eng, tn, kind in name_table(cfg):
            w = f.get_tensor(eng)
            if kind == "conv":
                w = w.permute(4, 3, 0, 1, 2)                               # -> (cout, cin, kt, kh, kw)
            if tuple(w.shape) != tuple(sd[tn].shape):
                raise ValueError(f"{eng}: shape {tuple(w.shape)} != {tuple(sd[tn].shape)}")
            sd[tn] = w.contiguous()
        model.load_state_dict(sd)
    return model.eval(), meta
