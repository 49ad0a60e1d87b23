"""A PyTorch Dataset over token streams and its collate: fixed-length windows of latent frames, so batches
with batch_size > 1 stack. torch is imported by this module only; `import vtok_stream` does not need it.

    from torch.utils.data import DataLoader
    from vtok_stream.dataset import TokenWindowDataset, collate_windows
    ds = TokenWindowDataset(["a.vtok", "b.vtok"], window=16)
    loader = DataLoader(ds, batch_size=8, num_workers=2, collate_fn=collate_windows)
    for batch in loader:
        batch["tokens"]   # int64 (8, 16, h, w); batch["mask"] bool (8, 16): False on padding

Each sample is a window from vtok_stream.windows (tokens, mask, pts, and latents with latents=True) as tensors,
plus "source": the index of its stream in `sources`. With several DataLoader workers, each reads its own share of
the sources (every source is read by exactly one worker).
"""

from typing import List, Optional, Sequence

import numpy as np
import torch

from .windows import windows

__all__ = ["TokenWindowDataset", "ShardDataset", "collate_windows"]


class TokenWindowDataset(torch.utils.data.IterableDataset):
    """Windows of `window` latent frames from each of `sources` (paths, bytes, file objects or sockets: what
    read_stream takes; a socket or file object can be read once only). Options as vtok_stream.windows:
    stride, remainder ("pad" with a mask, or "drop"), latents, pad_token."""

    def __init__(self, sources, window: int = 16, stride: Optional[int] = None, remainder: str = "pad",
                 latents: bool = False, pad_token: int = 0):
        if isinstance(sources, (str, bytes)) or not isinstance(sources, Sequence):
            sources = [sources]
        self.sources = list(sources)
        self.window, self.stride, self.remainder = window, stride, remainder
        self.latents, self.pad_token = latents, pad_token

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        mine = range(len(self.sources)) if info is None else range(info.id, len(self.sources), info.num_workers)
        for i in mine:
            for w in windows(self.sources[i], self.window, self.stride, self.remainder, self.latents,
                             self.pad_token):
                sample = {k: torch.from_numpy(v) for k, v in w.items() if isinstance(v, np.ndarray)}
                sample["source"] = i
                sample["segment"], sample["latent_index"] = w["segment"], w["latent_index"]
                yield sample


def collate_windows(samples: List[dict]) -> dict:
    """Stacks windows into a batch: tensors get a leading batch dimension, numbers become int64 tensors.
    Raises ValueError naming the first sample whose shape differs (streams of different grids)."""
    if not samples:
        raise ValueError("no samples to collate")
    out = {}
    for k, first in samples[0].items():
        values = [s[k] for s in samples]
        if isinstance(first, torch.Tensor):
            for j, v in enumerate(values):
                if v.shape != first.shape:
                    raise ValueError(f"sample {j} has {k} of shape {tuple(v.shape)}, sample 0 {tuple(first.shape)}:"
                                     " batch windows of one grid (encode with the same --size)")
            out[k] = torch.stack(values)
        else:
            out[k] = torch.tensor(values, dtype=torch.int64)
    return out


class ShardDataset(torch.utils.data.IterableDataset):
    """The samples of vtok-shards output (docs/datasets.md) as tensors: tokens int64 (window, h, w), mask bool
    (window,), pts int64 (window, T), latents float32 when written. `shards`: the output folder (its index.json)
    or a list of .tar paths. With several DataLoader workers, each reads its own share of the shards."""

    def __init__(self, shards):
        import os
        from .shards import read_shard          # noqa: F401  (checked here, used in __iter__)
        if isinstance(shards, (str, os.PathLike)) and os.path.isdir(shards):
            import json
            with open(os.path.join(shards, "index.json"), encoding="utf-8") as f:
                index = json.load(f)
            shards = [os.path.join(shards, s["name"]) for s in index["shards"]]
        elif isinstance(shards, (str, os.PathLike)):
            shards = [shards]
        self.shards = [str(s) for s in shards]

    def __iter__(self):
        from .shards import read_shard
        info = torch.utils.data.get_worker_info()
        mine = self.shards if info is None else self.shards[info.id::info.num_workers]
        for path in mine:
            for s in read_shard(path):
                out = {"tokens": torch.from_numpy(s["tokens"].astype(np.int64)), "mask": torch.from_numpy(s["mask"]),
                       "pts": torch.from_numpy(s["pts"])}
                if "latents" in s:
                    out["latents"] = torch.from_numpy(s["latents"])
                yield out
