"""A compact training pack for a lent GPU machine, whose whole working tree may be at most 64 MiB.

The ordinary pack (vtok_model.data.build_pack) is raw RGB, 4.4 GB for the 113 training clips. This one keeps a
window of --frames frames of each clip, at the pack's size (short side 256), as lossy RGB H.264 (libx264rgb, no
YUV matrix, so no colour conversion differs between the machines) and is unpacked into the ordinary layout on
the GPU machine, where OpenCV's FFmpeg decodes it. At --crf 20 the frames come back at about 40 dB PSNR against the
pack's: noise far below the decoder's own error (about 30 dB). Held-out clips are never in the pack, since
build_pack already left them out.

  here:   python gpu_pack.py make --pack /var/tmp/vtok/data/train --out ../.gpu/pack
  there:  python3 gpu_pack.py unpack --src ../.gpu/pack --out /tmp/pack/train   (scripts/gpu-train.sh does it)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess

import numpy as np


def make(pack: str, out: str, frames: int = 32, crf: int = 20) -> dict:
    """The ordinary pack at `pack` (.bin/.json) -> `out`/NNN.mkv + `out`/index.json: a window of `frames`
    frames from the middle of each clip."""
    from vtok_model.data import ClipSampler
    src = ClipSampler(pack)
    os.makedirs(out, exist_ok=True)
    index = {"short_side": src.index["short_side"], "crf": crf, "clips": []}
    for i, c in enumerate(src.index["clips"]):
        arr = src.clip_array(i)
        n = min(frames, c["frames"])
        t0 = (c["frames"] - n) // 2
        name = f"{i:03d}.mkv"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                        "-s", f"{c['w']}x{c['h']}", "-r", str(c["fps"]), "-i", "-", "-c:v", "libx264rgb",
                        "-crf", str(crf), "-preset", "slow", "-pix_fmt", "rgb24", os.path.join(out, name)],
                       input=np.ascontiguousarray(arr[t0:t0 + n]).tobytes(), check=True)
        index["clips"].append({"file": c["file"], "video": name, "frames": n, "h": c["h"], "w": c["w"],
                               "fps": c["fps"]})
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    return index


def _decode(path: str, frames: int, h: int, w: int) -> np.ndarray:
    """(frames, h, w, 3) uint8 RGB of an RGB H.264 file, by OpenCV (the GPU image has it) or the ffmpeg CLI."""
    try:
        import cv2
        cap = cv2.VideoCapture(path)
        got = []
        while len(got) < frames:
            ok, bgr = cap.read()
            if not ok:
                break
            got.append(bgr[:, :, ::-1])
        cap.release()
        arr = np.stack(got) if got else np.zeros((0, h, w, 3), np.uint8)
    except ImportError:
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             capture_output=True, check=True).stdout
        arr = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    if arr.shape != (frames, h, w, 3):
        raise ValueError(f"{path}: decoded {arr.shape}, expected {(frames, h, w, 3)}")
    return arr


def unpack(src: str, out_prefix: str) -> dict:
    """`src` (made by make) -> the ordinary pack OUT.bin + OUT.json that train.py reads."""
    with open(os.path.join(src, "index.json")) as f:
        index = json.load(f)
    os.makedirs(os.path.dirname(out_prefix) or ".", exist_ok=True)
    result = {"short_side": index["short_side"], "clips": [],
              "decoder": f"RGB H.264 at crf {index['crf']} (gpu_pack.py), from the ffmpeg-bilinear pack"}
    offset = 0
    with open(out_prefix + ".bin", "wb") as f:
        for c in index["clips"]:
            arr = _decode(os.path.join(src, c["video"]), c["frames"], c["h"], c["w"])
            f.write(np.ascontiguousarray(arr).tobytes())
            result["clips"].append({"file": c["file"], "offset": offset, "frames": c["frames"], "h": c["h"],
                                    "w": c["w"], "fps": c["fps"]})
            offset += arr.nbytes
    with open(out_prefix + ".json", "w") as f:
        json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--pack", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--frames", type=int, default=32)
    m.add_argument("--crf", type=int, default=20)
    u = sub.add_parser("unpack")
    u.add_argument("--src", required=True)
    u.add_argument("--out", required=True)
    a = p.parse_args()
    if a.cmd == "make":
        idx = make(a.pack, a.out, a.frames, a.crf)
        size = sum(os.path.getsize(os.path.join(a.out, c["video"])) for c in idx["clips"])
        print(f"{len(idx['clips'])} clips, {sum(c['frames'] for c in idx['clips'])} frames, {size / 2**20:.1f} MiB")
    else:
        idx = unpack(a.src, a.out)
        print(f"{len(idx['clips'])} clips, {sum(c['frames'] for c in idx['clips'])} frames unpacked")
