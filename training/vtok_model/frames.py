"""Frames exactly as the CLI sees them: FFmpeg decodes, crops and scales (swscale bilinear with accurate rounding
and full chroma interpolation, the flags of Sources/VtokMedia/FrameScaler.swift), the size plan is SizePolicy's.

  read_frames(path, size="short256")          short side 256, aspect kept, sides rounded to multiples of 8
  read_frames(path, size=(256, 256), crop=True)   centre crop to the aspect, then scale (`vtok encode --size
                                                   256x256 --crop`)

Returns (F, H, W, 3) uint8 RGB. Used by the data pack (training) and eval.py, so the held-out numbers are the
numbers a user of `vtok encode | vtok decode` gets.
"""
from __future__ import annotations

import json
import subprocess

import numpy as np

SWS_FLAGS = "bilinear+accurate_rnd+full_chroma_int"


def probe(path: str) -> dict:
    """Width, height, frame rate and pixel format of the first video stream."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height,avg_frame_rate,r_frame_rate,pix_fmt", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    s = json.loads(out)["streams"][0]
    def rate(v):
        n, d = (v or "0/1").split("/")
        return float(n) / float(d) if float(d) else 0.0
    fps = rate(s.get("avg_frame_rate")) or rate(s.get("r_frame_rate"))
    return {"width": int(s["width"]), "height": int(s["height"]), "fps": fps, "pix_fmt": s.get("pix_fmt", "")}


def _round_to(v: float, f: int) -> int:
    # Swift's .rounded() is half away from zero; Python's round() is half to even.
    return max(f, int(np.floor(v / f + 0.5)) * f)


def plan_short_side(width: int, height: int, short: int = 256, factor: int = 8) -> tuple[int, int]:
    """SizePolicy.plan(.shortSide(short)): scale so the short side is `short`, round both sides to `factor`."""
    if width == height == short:
        return width, height
    s = short / min(width, height)
    return _round_to(width * s, factor), _round_to(height * s, factor)


def _even_clamp(v: int, limit: int) -> int:
    c = max(1, min(v, limit))
    return c if c == limit or c < 2 else c & ~1


def centre_crop(width: int, height: int, aw: int, ah: int) -> tuple[int, int, int, int]:
    """SizePolicy.centreCrop: the largest centred rectangle with aspect aw:ah, even offsets -> (x, y, w, h)."""
    w, h = width, height
    lhs, rhs = width * ah, aw * height
    if lhs > rhs:
        w = int(np.floor(height * aw / ah + 0.5))
    elif lhs < rhs:
        h = int(np.floor(width * ah / aw + 0.5))
    w, h = _even_clamp(w, width), _even_clamp(h, height)
    return ((width - w) // 2) & ~1, ((height - h) // 2) & ~1, w, h


def read_frames(path: str, size="short256", crop: bool = False, max_frames: int | None = None,
                step: int = 1) -> np.ndarray:
    """Decode `path` through FFmpeg at the CLI's size plan -> (F, H, W, 3) uint8; every `step`-th frame."""
    info = probe(path)
    sw, sh = info["width"], info["height"]
    if size == "short256":
        ow, oh = plan_short_side(sw, sh)
    else:
        ow, oh = size
    filters = []
    if crop and (ow, oh) != (sw, sh):
        x, y, w, h = centre_crop(sw, sh, ow, oh)
        if (w, h) != (sw, sh):
            filters.append(f"crop={w}:{h}:{x}:{y}")
    if (ow, oh) != (sw, sh) or filters:
        filters.append(f"scale={ow}:{oh}:flags={SWS_FLAGS}")
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-map", "0:v:0", "-an", "-sn", "-fps_mode", "passthrough"]
    if filters:
        cmd += ["-vf", ",".join(filters)]
    if max_frames:
        cmd += ["-frames:v", str(max_frames * step)]
    cmd += ["-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    n = len(raw) // (ow * oh * 3)
    if n == 0:
        raise ValueError(f"no frames decoded from {path}")
    frames = np.frombuffer(raw[:n * ow * oh * 3], dtype=np.uint8).reshape(n, oh, ow, 3)
    return np.array(frames[::step][:max_frames] if max_frames else frames[::step])        # a writable copy
