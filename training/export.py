"""Export: a training checkpoint -> the release file the Swift engine loads (models/vtok-4x8x8.safetensors).

The format, the layout conversion and the weight-name table live in vtok_model/weights.py; this script picks the
EMA (or raw) weights from a checkpoint and writes them.

  python export.py --ckpt ../runs/main/last.pt --out ../models/vtok-4x8x8.safetensors [--raw]
  python export.py --ckpt ../runs/d2/last.pt --out ../models/vtok-4x8x8-d2.safetensors \
      --encoder-from ../models/vtok-4x8x8.safetensors        (a decoder trained on a frozen encoder)
"""
from __future__ import annotations

import argparse
import json

import torch

from vtok_model import ModelConfig, Tokenizer
from vtok_model.weights import encoder_identity, file_sha256, load_release, save_release, to_engine


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
        reads = [file_sha256(a.encoder_from)]
    digest = save_release(model, a.out, {"training_steps": st["step"], "weights": "raw" if a.raw else "ema"}, reads)
    print(json.dumps({"out": a.out, "sha256": digest, "steps": st["step"]}))


if __name__ == "__main__":
    main()
