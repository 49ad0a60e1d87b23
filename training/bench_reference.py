"""PyTorch fp32 reference speed for `vtok bench --reference`: streaming encode (one latent = 4 frames per call,
as the engine does) and streaming decode (one latent per call) on the same weights and thread count.

  python bench_reference.py --model ../models/vtok-4x8x8.safetensors --size 256x256 --seconds 5 --threads 2
prints one JSON line: {"encode_fps": ..., "decode_fps": ..., "threads": ..., ...}
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from vtok_model.model import DecoderStream, EncoderStream
from vtok_model.weights import load_release


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--size", default="256x256")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    a = p.parse_args()
    w, h = (int(v) for v in a.size.lower().split("x"))
    torch.set_num_threads(a.threads)
    model, _ = load_release(a.model)
    t = model.t
    g = torch.Generator().manual_seed(0)
    frames = torch.rand(1, 3, 8, h, w, generator=g) * 2 - 1                 # (1, 3, 8, H, W) in [-1, 1]

    with torch.inference_mode():
        enc = EncoderStream(model)
        enc.feed(frames[:, :, :1])                                           # latent 0 (warm-up)
        tokens = []
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < a.seconds or n < 8:
            out = enc.feed(frames[:, :, (n % 2) * t:(n % 2) * t + t])        # one full group -> one latent
            if len(tokens) < 4:
                tokens.append(out[0])
            n += t
        enc_fps = n / (time.perf_counter() - start)

        dec = DecoderStream(model)
        dec.feed_tokens(tokens[0])                                           # latent 0 (warm-up)
        n, k, start = 0, 1, time.perf_counter()
        while time.perf_counter() - start < a.seconds or n < 4:
            n += dec.feed_tokens(tokens[k % len(tokens)]).shape[2]           # (1, 3, 4, H, W)
            k += 1
        dec_fps = n / (time.perf_counter() - start)

    print(json.dumps({"encode_fps": enc_fps, "decode_fps": dec_fps, "threads": torch.get_num_threads(),
                      "width": w, "height": h, "torch": torch.__version__, "dtype": "float32"}))


if __name__ == "__main__":
    main()
