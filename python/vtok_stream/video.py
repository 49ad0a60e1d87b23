"""Frames from a video file as `vtok encode` sees them, through an ffmpeg subprocess (no FFmpeg binding needed).

The CLI scales every frame to 256 on the short side, both sides rounded to the nearest multiple of the spatial
factor (8), with swscale's bilinear + accurate_rnd + full_chroma_int, and converts to rgb24
(Sources/VtokMedia/SizePolicy.swift, FrameScaler.swift). The same filter in the ffmpeg CLI gives the same RGB
bytes, hence the same tokens bit for bit (python/tests/test_engine.py, test_ray_pipeline.py) for constant-rate
clips of one frame size. The CLI also handles what this does not: size changes mid-stream (new segments),
`--fps` resampling, cameras and pipes; use `vtok encode` for those.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from typing import Iterator, Tuple

import numpy as np

__all__ = ["model_size", "probe", "iter_frames", "CLI_SCALE_FLAGS"]

CLI_SCALE_FLAGS = "bilinear+accurate_rnd+full_chroma_int"


class VideoError(RuntimeError):
    """ffprobe or ffmpeg could not read the file."""


def model_size(width: int, height: int, short_side: int = 256, factor: int = 8) -> Tuple[int, int]:
    """The (width, height) the CLI scales a width x height source to (SizePolicy.plan, .shortSide)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"source size {width}x{height} is empty")
    scale = short_side / min(width, height)

    def rounded(v: float) -> int:            # Swift's .rounded(): to nearest, ties away from zero
        return max(factor, int(math.floor(v / factor + 0.5)) * factor)

    return rounded(width * scale), rounded(height * scale)


def probe(path: str, timeout: float = 60) -> dict:
    """Width, height and frame rate of the first video stream (ffprobe)."""
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "stream=width,height,r_frame_rate", "-of", "json", path],
                       capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    try:
        stream = json.loads(r.stdout)["streams"][0]
        return {"width": int(stream["width"]), "height": int(stream["height"]),
                "frame_rate": stream.get("r_frame_rate", "0/1")}
    except (ValueError, KeyError, IndexError, TypeError):
        why = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise VideoError(f"{path}: no video stream ({why[-1] if why else 'ffprobe found none'})") from None


def iter_frames(path: str, size: Tuple[int, int], chunk: int = 16) -> Iterator[np.ndarray]:
    """Yields (n <= chunk, H, W, 3) uint8 RGB frames of `path` scaled to size = (W, H) as the CLI scales.
    Memory stays at one chunk whatever the clip's length. Raises VideoError when ffmpeg fails."""
    w, h = size
    frame_bytes = w * h * 3
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-map", "0:v:0", "-fps_mode", "passthrough",
           "-vf", f"scale={w}:{h}:flags={CLI_SCALE_FLAGS},format=rgb24", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    errors = tempfile.TemporaryFile()          # a file, not a pipe: a flood of messages cannot block ffmpeg
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL)
    try:
        if proc.stdout is None:
            raise VideoError("ffmpeg gave no output pipe")
        while True:
            data = proc.stdout.read(frame_bytes * chunk)
            if not data:
                break
            n = len(data) // frame_bytes
            if n:
                yield np.frombuffer(data[:n * frame_bytes], np.uint8).reshape(n, h, w, 3)
            if len(data) % frame_bytes:
                raise VideoError(f"{path}: ffmpeg ended inside a frame")
        if proc.wait() != 0:
            errors.seek(0)
            lines = errors.read(1 << 16).decode("utf-8", "replace").strip().splitlines()
            raise VideoError(f"{path}: ffmpeg failed ({lines[-1] if lines else proc.returncode})")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
        errors.close()
