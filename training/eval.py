"""Evaluate a released model on held-out clips at 256x256, streaming whole clips through the model.

  python eval.py --model ../models/vtok-4x8x8.safetensors --videos ../../shared/data/videos --out ../docs/eval

Per clip: PSNR and SSIM of the token round trip (and of the continuous latents), codebook utilisation
(distinct codes / 64,000), perplexity of the code distribution, and the PSNR of libx264 at the same bit rate as
the tokens (16 bits per token). Writes OUT/eval.json, OUT/eval.md (table), OUT/psnr_per_frame.png and
OUT/code_usage.png. Frames: short side resized to 256 (area), centre crop 256x256, all frames (capped by
--max-frames).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import tempfile

import numpy as np
import torch

from export import load_release
from vtok_model.data import HELDOUT, read_clip
from vtok_model.losses import ssim
from vtok_model.model import DecoderStream, EncoderStream


def center_crop(frames: np.ndarray, size: int) -> np.ndarray:
    _, h, w, _ = frames.shape
    y0, x0 = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(frames[:, y0:y0 + size, x0:x0 + size])


def psnr_u8(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def to_u8(y: torch.Tensor) -> np.ndarray:
    """(1, 3, T, H, W) in [-1, 1] -> (T, H, W, 3) uint8."""
    return torch.clamp(torch.round((y[0] + 1) * 127.5), 0, 255).to(torch.uint8).permute(1, 2, 3, 0).numpy()


def ssim_u8(a: np.ndarray, b: np.ndarray) -> float:
    ta = torch.from_numpy(a).permute(3, 0, 1, 2).unsqueeze(0).float() / 127.5 - 1
    tb = torch.from_numpy(b).permute(3, 0, 1, 2).unsqueeze(0).float() / 127.5 - 1
    return float(ssim(ta, tb))


def stream_roundtrip(model, frames: np.ndarray, chunk: int = 4):
    """Encode frame chunks as they arrive, decode latents as they come: (recon u8, recon_cont u8, tokens)."""
    x = torch.from_numpy(frames).permute(3, 0, 1, 2).unsqueeze(0).float() / 127.5 - 1
    enc, dq, dc = EncoderStream(model), DecoderStream(model), DecoderStream(model)
    toks, out_q, out_c = [], [], []

    def take(r):
        if r is None:
            return
        t, c, _ = r
        toks.append(t)
        out_q.append(dq.feed_tokens(t))
        out_c.append(dc.feed(c))

    with torch.no_grad():
        for i in range(0, x.shape[2], chunk):
            take(enc.feed(x[:, :, i:i + chunk]))
        take(enc.finish())
    n = frames.shape[0]
    return (to_u8(torch.cat(out_q, 2)[:, :, :n]), to_u8(torch.cat(out_c, 2)[:, :, :n]),
            torch.cat(toks, 1)[0].numpy())


def x264_at_bitrate(frames: np.ndarray, fps: float, kbps: float) -> np.ndarray:
    n, h, w, _ = frames.shape
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "x.mp4")
        common = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                  "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "medium", "-b:v", f"{kbps:.2f}k",
                  "-pix_fmt", "yuv420p"]
        raw = frames.tobytes()
        subprocess.run(common + ["-pass", "1", "-passlogfile", os.path.join(d, "p"), "-f", "null", "-"],
                       input=raw, check=True)
        subprocess.run(common + ["-pass", "2", "-passlogfile", os.path.join(d, "p"), out], input=raw, check=True)
        dec = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", out, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             capture_output=True, check=True).stdout
        size_bits = os.path.getsize(out) * 8
    got = np.frombuffer(dec, np.uint8).reshape(-1, h, w, 3)[:n]
    return got, size_bits


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="../models/vtok-4x8x8.safetensors")
    p.add_argument("--videos", default="../../shared/data/videos")
    p.add_argument("--clips", nargs="*", default=HELDOUT)
    p.add_argument("--out", default="../docs/eval")
    p.add_argument("--max-frames", type=int, default=161)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--no-x264", action="store_true")
    a = p.parse_args()
    torch.manual_seed(0)
    model, meta = load_release(a.model)
    vocab = model.cfg.vocab_size
    os.makedirs(a.out, exist_ok=True)
    manifest = {}
    mpath = os.path.join(a.videos, "MANIFEST.tsv")
    if os.path.exists(mpath):
        from vtok_model.data import read_manifest
        manifest = {r["file"]: r for r in read_manifest(a.videos)}
    rows, per_frame, all_tokens = [], {}, []
    for name in a.clips:
        frames = center_crop(read_clip(os.path.join(a.videos, name), a.size, a.max_frames), a.size)
        fps = float(manifest.get(name, {}).get("fps", 30.0))
        rec, rec_c, tokens = stream_roundtrip(model, frames)
        n = frames.shape[0]
        pf = [psnr_u8(frames[i], rec[i]) for i in range(n)]
        per_frame[name] = pf
        counts = np.bincount(tokens.ravel(), minlength=vocab)
        prob = counts[counts > 0] / counts.sum()
        all_tokens.append(tokens.ravel())
        token_bits = tokens.size * 16
        kbps = token_bits / (n / fps) / 1000
        row = {"clip": name, "frames": n, "psnr": psnr_u8(frames, rec), "ssim": ssim_u8(frames, rec),
               "psnr_continuous": psnr_u8(frames, rec_c), "utilisation": int((counts > 0).sum()) / vocab,
               "perplexity": float(np.exp(-(prob * np.log(prob)).sum())), "token_kbps": kbps}
        if not a.no_x264:
            xr, bits = x264_at_bitrate(frames, fps, kbps)
            row["x264_psnr"] = psnr_u8(frames, xr)
            row["x264_kbps"] = bits / (n / fps) / 1000
        rows.append(row)
        print(json.dumps(row), flush=True)
    allt = np.concatenate(all_tokens)
    counts = np.bincount(allt, minlength=vocab)
    prob = counts[counts > 0] / counts.sum()
    summary = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k not in ("clip", "frames")}
    summary.update({"utilisation_all": int((counts > 0).sum()) / vocab,
                    "perplexity_all": float(np.exp(-(prob * np.log(prob)).sum())),
                    "model": os.path.basename(a.model), "training_steps": meta.get("training_steps")})
    json.dump({"clips": rows, "mean": summary}, open(os.path.join(a.out, "eval.json"), "w"), indent=1)
    with open(os.path.join(a.out, "eval.md"), "w") as f:
        f.write("| clip | frames | PSNR dB | SSIM | PSNR cont. | util. | perplexity | token kbit/s | x264 PSNR | x264 kbit/s |\n")
        f.write("|---|---|---|---|---|---|---|---|---|---|\n")
        for r in rows + [dict(summary, clip="**mean**", frames=sum(r["frames"] for r in rows))]:
            f.write(f"| {r['clip']} | {r['frames']} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['psnr_continuous']:.2f} | "
                    f"{r['utilisation']:.4f} | {r['perplexity']:.0f} | {r['token_kbps']:.1f} | "
                    f"{r.get('x264_psnr', float('nan')):.2f} | {r.get('x264_kbps', float('nan')):.1f} |\n")
        f.write(f"\nAll clips together: {int((counts > 0).sum())} distinct codes "
                f"({summary['utilisation_all']:.4f} of {vocab}), perplexity {summary['perplexity_all']:.0f}.\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 4))
    for name, pf in per_frame.items():
        ax.plot(pf, label=name.rsplit(".", 1)[0], lw=1)
    ax.set_xlabel("frame"); ax.set_ylabel("PSNR dB"); ax.set_title("per-frame PSNR, token round trip, 256x256")
    ax.legend(fontsize=6, ncol=2); fig.tight_layout(); fig.savefig(os.path.join(a.out, "psnr_per_frame.png"), dpi=90)
    fig, ax = plt.subplots(figsize=(9, 4))
    srt = np.sort(counts)[::-1]
    ax.loglog(np.arange(1, len(srt) + 1), np.maximum(srt, 0.5))
    ax.set_xlabel("code rank"); ax.set_ylabel("count"); ax.set_title(f"code usage (rank-frequency), {len(allt)} tokens")
    fig.tight_layout(); fig.savefig(os.path.join(a.out, "code_usage.png"), dpi=90)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
