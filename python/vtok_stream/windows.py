"""Fixed-length windows of latent frames from token streams, so batches stack (numpy only; the PyTorch
Dataset over them is vtok_stream.dataset). A window is a dict:
  tokens   int64 (window, h, w)          the latent frames' tokens; padding positions hold `pad_token`
  mask     bool  (window,)               True where a latent frame is real, False where it is padding
  pts      int64 (window, T)             pts of each covered source frame, NOPTS (-2^63) where none
  latents  float32 (window, h, w, c)     only with latents=True (streams written with --continuous)
  segment, latent_index, frame_index     where the window starts (its first latent frame)
  header   the stream's Header
A window never crosses a segment boundary (the grid may change there, and the encoder restarts, §5.3).
Batches stack when every stream has the same grid (encode them with the same --size): `collate_windows` says
which sample differs otherwise.
"""

import os
from typing import Iterable, Iterator, List, Optional, Sequence, Union

import numpy as np

from .events import End, Header, Tokens
from .reader import read_stream

NOPTS = -(2 ** 63)

__all__ = ["windows"]


def windows(source, window: int, stride: Optional[int] = None, remainder: str = "pad", latents: bool = False,
            pad_token: int = 0) -> Iterator[dict]:
    """Numpy windows of `window` latent frames from one stream (any source read_stream takes).

    stride: latent frames between window starts (default `window`: no overlap). remainder: what to do with the
    last latent frames of a segment that do not fill a window: "pad" (pad and mask them; a segment shorter than
    a window gives one padded window), "drop" (leave them out). Damaged packets are skipped by the reader; a
    window is cut at a lost latent frame (a gap in latent_index) rather than joined across it.
    """
    if window < 1:
        raise ValueError("window is at least 1 latent frame")
    stride = window if stride is None else stride
    if stride < 1:
        raise ValueError("stride is at least 1")
    if remainder not in ("pad", "drop"):
        raise ValueError("remainder is 'pad' or 'drop'")
    run: List[Tokens] = []            # latent frames of the current segment not yet left behind
    covered = 0                       # how many at the start of `run` are already in an emitted window
    skip = 0                          # latent frames still to pass over (stride > window)
    last: Optional[Tokens] = None

    def flush(final):
        nonlocal run, covered, skip
        while len(run) >= window:
            yield _window(run[:window], window, latents, pad_token)
            if stride <= window:
                run, covered = run[stride:], window - stride
            else:
                run, covered, skip = [], 0, stride - window
        if final:
            if remainder == "pad" and len(run) > covered:
                yield _window(run, window, latents, pad_token)
            run, covered, skip = [], 0, 0

    for ev in read_stream(source):
        if isinstance(ev, (Header, End)):
            yield from flush(final=True)
            last = None
        elif isinstance(ev, Tokens):
            if last is not None and (ev.header is not last.header or ev.latent_index != last.latent_index + 1):
                yield from flush(final=True)              # a lost latent frame: do not join across it
            last = ev
            if latents and ev.latents is None:
                raise ValueError("latents=True needs streams written with continuous latents (--continuous)")
            if skip:
                skip -= 1
                continue
            run.append(ev)
            yield from flush(final=False)
    yield from flush(final=True)


def _window(run: Sequence[Tokens], window: int, latents: bool, pad_token: int) -> dict:
    h = run[0].header
    n = len(run)
    tokens = np.full((window, h.latent_height, h.latent_width), pad_token, dtype=np.int64)   # (window, h, w)
    tokens[:n] = np.stack([t.tokens for t in run])
    mask = np.zeros(window, dtype=bool)                                                        # (window,)
    mask[:n] = True
    pts = np.full((window, h.temporal_factor), NOPTS, dtype=np.int64)                          # (window, T)
    for i, t in enumerate(run):
        pts[i, :len(t.pts)] = t.pts
    out = {"tokens": tokens, "mask": mask, "pts": pts, "segment": h.segment, "latent_index": run[0].latent_index,
           "frame_index": run[0].frame_index, "header": h}
    if latents:
        z = np.zeros((window, h.latent_height, h.latent_width, h.channels), dtype=np.float32)  # (window, h, w, c)
        z[:n] = np.stack([t.latents for t in run])
        out["latents"] = z
    return out


