"""Training data: real clips decoded once into a compact uint8 pack, sampled per clip.

pack layout (data/NAME.bin + data/NAME.json): frames of every clip concatenated as uint8 (F, H, W, 3) RGB, each
clip resized so its short side is `short_side` (aspect kept). The JSON lists clips with offset, frame count,
height, width and fps.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

# Clips never used for training: the evaluation set (docs/model.md). vidtok_example is also the README sample.
HELDOUT = [
    "vidtok_example.mp4",
    "sam2_02_cups.mp4",
    "cosmos_dashcam_9.mp4",
    "liveportrait_d9.mp4",
    "askanything_playing_guitar.mp4",
    "udacity_solidWhiteRight.mp4",
    "intel_asl_book.mkv",
    "mmaction2_basketball_structuralize.mp4",
]


def read_manifest(video_dir: str) -> list[dict]:
    rows = []
    with open(os.path.join(video_dir, "MANIFEST.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    return rows


def read_clip(path: str, short_side: int | None = 256, max_frames: int | None = None, step: int = 1) -> np.ndarray:
    """Decode a clip to (F, H, W, 3) uint8 RGB through FFmpeg, short side `short_side` with the CLI's size plan
    and scaling (frames.py), or at the source size when short_side is None."""
    from .frames import probe, read_frames
    if short_side is None:
        info = probe(path)
        return read_frames(path, (info["width"], info["height"]), max_frames=max_frames, step=step)
    if short_side != 256:
        from .frames import plan_short_side
        info = probe(path)
        return read_frames(path, plan_short_side(info["width"], info["height"], short_side), max_frames=max_frames,
                           step=step)
    return read_frames(path, "short256", max_frames=max_frames, step=step)


def _read_row(args):
    video_dir, r, short_side, max_frames = args
    fps = float(r["fps"])
    step = 2 if fps > 40 else 1
    clip = read_clip(os.path.join(video_dir, r["file"]), short_side, max_frames, step)
    return r["file"], fps / step, clip


def build_pack(video_dir: str, out_prefix: str, short_side: int = 256, max_frames: int = 240,
               exclude: list[str] = HELDOUT, workers: int = 2) -> dict:
    """Every manifest clip but the held-out ones -> OUT.bin (frames concatenated) + OUT.json (the index)."""
    from concurrent.futures import ProcessPoolExecutor
    rows = [r for r in read_manifest(video_dir) if r["file"] not in exclude]
    index = {"short_side": short_side, "clips": [], "decoder": "ffmpeg bilinear (the CLI's scaling)"}
    offset = 0
    with open(out_prefix + ".bin", "wb") as f, ProcessPoolExecutor(workers) as pool:
        for name, fps, clip in pool.map(_read_row, [(video_dir, r, short_side, max_frames) for r in rows]):
            f.write(np.ascontiguousarray(clip).tobytes())
            n, h, w, _ = clip.shape
            index["clips"].append({"file": name, "offset": offset, "frames": n, "h": h, "w": w, "fps": fps})
            offset += clip.nbytes
    with open(out_prefix + ".json", "w") as f:
        json.dump(index, f, indent=1)
    return index


@dataclass
class ClipSampler:
    """Samples (B, 3, T, S, S) float clips in [-1, 1]: a clip uniformly, a start, a temporal stride, a crop, a flip."""
    prefix: str
    seed: int = 0

    def __post_init__(self):
        with open(self.prefix + ".json") as f:
            self.index = json.load(f)
        self.data = np.memmap(self.prefix + ".bin", dtype=np.uint8, mode="r")
        self.rng = np.random.default_rng(self.seed)

    def clip_array(self, i: int) -> np.ndarray:
        c = self.index["clips"][i]
        n = c["frames"] * c["h"] * c["w"] * 3
        return self.data[c["offset"]:c["offset"] + n].reshape(c["frames"], c["h"], c["w"], 3)

    def sample(self, batch: int, frames: int, size: int) -> np.ndarray:
        out = np.empty((batch, frames, size, size, 3), dtype=np.uint8)
        clips = self.index["clips"]
        for b in range(batch):
            i = int(self.rng.integers(len(clips)))
            arr = self.clip_array(i)
            n, h, w, _ = arr.shape
            stride = int(self.rng.choice([1, 1, 2])) if clips[i]["fps"] >= 20 else 1
            while stride > 1 and (frames - 1) * stride + 1 > n:
                stride -= 1
            span = (frames - 1) * stride + 1
            t0 = int(self.rng.integers(0, max(1, n - span + 1)))
            idx = np.minimum(np.arange(t0, t0 + span, stride), n - 1)
            y0 = int(self.rng.integers(0, h - size + 1))
            x0 = int(self.rng.integers(0, w - size + 1))
            crop = arr[idx, y0:y0 + size, x0:x0 + size]
            if self.rng.random() < 0.5:
                crop = crop[:, :, ::-1]
            out[b] = crop
        return out


def to_model_input(u8: np.ndarray):
    """(B, T, H, W, 3) uint8 -> torch (B, 3, T, H, W) float32 in [-1, 1]."""
    import torch
    x = torch.from_numpy(np.ascontiguousarray(u8)).permute(0, 4, 1, 2, 3).float()
    return x / 127.5 - 1.0
