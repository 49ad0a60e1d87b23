"""Evaluate a released model on held-out clips at 256x256, streaming whole clips through the model.

  python eval.py --model ../models/vtok-4x8x8.safetensors --videos ../../shared/data/videos --out ../docs/eval

Per clip: RGB PSNR and SSIM of the token round trip (and of the continuous latents), PSNR of each of the 4
frame positions in a group, code entropy in bits per token (max log2(64000) = 15.97), utilisation (distinct codes /
64,000, bounded by the tokens sampled), perplexity, and libx264 at the same bit rate as the tokens (16 bits per
token); over all clips also per-channel FSQ level histograms. Writes OUT/eval.json, OUT/eval.md (table),
OUT/psnr_per_frame.png and OUT/code_usage.png. Frames: through FFmpeg exactly as `vtok encode --size 256x256
--crop` sees them (vtok_model/frames.py: centre crop to square, bilinear swscale, the source's YUV matrix), up
to --max-frames per clip.
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
from vtok_model.data import HELDOUT
from vtok_model.frames import read_frames
from vtok_model.losses import ssim
from vtok_model.model import DecoderStream, EncoderStream


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


def position_psnr(frames: np.ndarray, rec: np.ndarray, t: int = 4) -> list[float]:
    """PSNR of each frame position within a group: frame i >= 1 is position (i - 1) % t (frame 0 is latent 0's)."""
    out = []
    for k in range(t):
        idx = [i for i in range(1, len(frames)) if (i - 1) % t == k]
        out.append(psnr_u8(frames[idx], rec[idx]) if idx else float("nan"))
    return out


def entropy_bits(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def evaluate(model, frames: np.ndarray, fps: float, x264: bool) -> tuple[dict, list[float], np.ndarray]:
    vocab = model.cfg.vocab_size
    rec, rec_c, tokens = stream_roundtrip(model, frames)
    n = frames.shape[0]
    pf = [psnr_u8(frames[i], rec[i]) for i in range(n)]
    counts = np.bincount(tokens.ravel(), minlength=vocab)
    prob = counts[counts > 0] / counts.sum()
    kbps = tokens.size * 16 / (n / fps) / 1000
    pos = position_psnr(frames, rec, model.cfg.temporal_factor)
    row = {"frames": n, "psnr": psnr_u8(frames, rec), "ssim": ssim_u8(frames, rec),
           "psnr_continuous": psnr_u8(frames, rec_c), "psnr_by_position": pos,
           "position_spread_db": float(np.nanmax(pos) - np.nanmin(pos)),
           "entropy_bits": entropy_bits(counts), "utilisation": int((counts > 0).sum()) / vocab,
           "perplexity": float(np.exp(-(prob * np.log(prob)).sum())), "token_kbps": kbps}
    if x264:
        xr, bits = x264_at_bitrate(frames, fps, kbps)
        row["x264_psnr"] = psnr_u8(frames, xr)
        row["x264_kbps"] = bits / (n / fps) / 1000
    return row, pf, tokens


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="../models/vtok-4x8x8.safetensors")
    p.add_argument("--videos", default="../../shared/data/videos")
    p.add_argument("--clips", nargs="*", default=HELDOUT)
    p.add_argument("--out", default="../docs/eval")
    p.add_argument("--max-frames", type=int, default=300)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--no-x264", action="store_true")
    p.add_argument("--no-plots", action="store_true")
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
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
        # Exactly what `vtok encode --size 256x256 --crop` feeds the model (FFmpeg, the CLI's crop and scaling).
        frames = read_frames(os.path.join(a.videos, name), (a.size, a.size), crop=True, max_frames=a.max_frames)
        fps = float(manifest.get(name, {}).get("fps", 30.0))
        row, pf, tokens = evaluate(model, frames, fps, not a.no_x264)
        row = {"clip": name, **row}
        per_frame[name] = pf
        all_tokens.append(tokens.ravel())
        rows.append(row)
        print(json.dumps(row), flush=True)
    allt = np.concatenate(all_tokens)
    counts = np.bincount(allt, minlength=vocab)
    prob = counts[counts > 0] / counts.sum()
    keys = [k for k in rows[0] if k not in ("clip", "frames", "psnr_by_position")]
    summary = {k: float(np.mean([r[k] for r in rows])) for k in keys}
    allf = sum(r["frames"] for r in rows)
    pos = np.array([r["psnr_by_position"] for r in rows])
    summary.update({"psnr_by_position": [float(v) for v in np.nanmean(pos, axis=0)],
                    "psnr_min_clip": float(min(r["psnr"] for r in rows)),
                    "utilisation_all": int((counts > 0).sum()) / vocab, "tokens_all": int(allt.size),
                    "entropy_bits_all": entropy_bits(counts), "entropy_bits_max": float(np.log2(vocab)),
                    "perplexity_all": float(np.exp(-(prob * np.log(prob)).sum())),
                    "model": os.path.basename(a.model), "training_steps": meta.get("training_steps"),
                    "frames_all": allf, "frame_source": "ffmpeg, vtok encode --size 256x256 --crop"})
    summary["position_spread_db"] = float(max(summary["psnr_by_position"]) - min(summary["psnr_by_position"]))
    # Per-channel FSQ digit histograms (mixed radix, channel 0 fastest: docs/model.md).
    levels = model.cfg.fsq_levels
    digits, rest = [], allt.astype(np.int64)
    for lv in levels:
        digits.append(np.bincount(rest % lv, minlength=lv).tolist())
        rest //= lv
    summary["fsq_level_histograms"] = digits
    json.dump({"clips": rows, "mean": summary}, open(os.path.join(a.out, "eval.json"), "w"), indent=1)
    with open(os.path.join(a.out, "eval.md"), "w") as f:
        f.write(f"Model `{summary['model']}`; frames through FFmpeg as `vtok encode --size 256x256 --crop` sees them, "
                f"up to {a.max_frames} per clip; RGB PSNR/SSIM of the token round trip.\n\n")
        f.write("| clip | frames | PSNR dB | SSIM | PSNR cont. | PSNR by position 0/1/2/3 | spread | bits/token | "
                "util. | token kbit/s | x264 PSNR | x264 kbit/s |\n")
        f.write("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
        for r in rows + [dict(summary, clip="**mean**", frames=allf)]:
            pp = "/".join(f"{v:.2f}" for v in r["psnr_by_position"])
            f.write(f"| {r['clip']} | {r['frames']} | {r['psnr']:.2f} | {r['ssim']:.4f} | {r['psnr_continuous']:.2f} | "
                    f"{pp} | {r['position_spread_db']:.2f} | {r['entropy_bits']:.2f} | {r['utilisation']:.4f} | "
                    f"{r['token_kbps']:.1f} | {r.get('x264_psnr', float('nan')):.2f} | "
                    f"{r.get('x264_kbps', float('nan')):.1f} |\n")
        f.write(f"\nAll clips together: {allt.size} tokens, {int((counts > 0).sum())} distinct codes "
                f"({summary['utilisation_all']:.4f} of {vocab}; bounded by the tokens sampled), entropy "
                f"{summary['entropy_bits_all']:.2f} bits/token of {summary['entropy_bits_max']:.2f}, perplexity "
                f"{summary['perplexity_all']:.0f}. Per-channel level use: "
                + "; ".join(f"ch{c} ({lv} levels) " + "/".join(str(v) for v in h)
                            for c, (lv, h) in enumerate(zip(levels, digits))) + ".\n")
    if a.no_plots:
        print(json.dumps({k: v for k, v in summary.items() if k != "fsq_level_histograms"}))
        return
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 4))
    for name, pf in per_frame.items():
        ax.plot(pf, label=name.rsplit(".", 1)[0], lw=1)
    ax.set_xlabel("frame"); ax.set_ylabel("PSNR dB"); ax.set_title("per-frame PSNR, token round trip, 256x256")
    ax.legend(fontsize=6, ncol=2); fig.tight_layout(); fig.savefig(os.path.join(a.out, "psnr_per_frame.png"), dpi=90)
    fig, axs = plt.subplots(1, 2, figsize=(10, 3.6))
    srt = np.sort(counts)[::-1]
    axs[0].loglog(np.arange(1, len(srt) + 1), np.maximum(srt, 0.5))
    axs[0].set_xlabel("code rank"); axs[0].set_ylabel("count"); axs[0].set_title(f"code usage, {len(allt)} tokens")
    for c, h in enumerate(digits):
        axs[1].plot(np.arange(len(h)) / max(1, len(h) - 1), np.array(h) / sum(h), marker="o", label=f"ch{c} ({len(h)})")
    axs[1].set_xlabel("level (0 = lowest, 1 = highest)"); axs[1].set_ylabel("share"); axs[1].set_title("FSQ level use")
    axs[1].legend(fontsize=7)
    fig.tight_layout(); fig.savefig(os.path.join(a.out, "code_usage.png"), dpi=90)
    print(json.dumps({k: v for k, v in summary.items() if k != "fsq_level_histograms"}))


if __name__ == "__main__":
    main()
