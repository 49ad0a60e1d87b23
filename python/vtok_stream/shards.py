"""Training shards: token streams cut into fixed-length windows, stored as WebDataset-style tar files that any
PyTorch data loader reads without vtok (docs/datasets.md).

    DIR/index.json              what is in the shards: window, grid, vocabulary, model, per-shard sample counts
    DIR/shard-000000.tar        samples, each four members sharing a key (9 digits, in write order):
        000000000.tokens.npy    uint16 (window, h, w)
        000000000.mask.npy      bool (window,): False on padding (only with --pad)
        000000000.pts.npy       int64 (window, T): pts of each covered source frame, -2**63 where none
        000000000.latents.npy   float32 (window, h, w, c), only with --latents
        000000000.json          the window's origin: source, stream_id, segment, latent_index, frame_index, valid,
                                and the stream's header (docs/token-stream.md §4.1 fields)

Command: vtok-shards IN... -o DIR [--window 16] [--stride N] [--pad] [--latents] [--samples-per-shard 1000]
IN: .vtok files, folders (searched for *.vtok), or a batch results manifest (results*.jsonl: its written outputs).
"""

import argparse
import io
import json
import os
import sys
import tarfile
from typing import Iterator, List, Optional

import numpy as np

from .windows import windows
from .events import Header

FORMAT = "vtok-shards"
FORMAT_VERSION = 1

__all__ = ["write_shards", "read_shard", "read_shards", "header_json", "main"]


def header_json(h: Header) -> dict:
    """The header's fields as JSON values (bytes as hex)."""
    return {
        "version": f"{h.version_major}.{h.version_minor}", "model_name": h.model_name,
        "weights_sha256": h.weights_sha256.hex(),
        "encoder_sha256": None if h.encoder_sha256 is None else h.encoder_sha256.hex(),
        "stream_id": h.stream_id.hex(), "segment": h.segment, "levels": list(h.levels),
        "vocabulary_size": h.vocabulary_size, "temporal_factor": h.temporal_factor, "spatial_factor": h.spatial_factor,
        "latent_grid": [h.latent_height, h.latent_width], "source_size": list(h.source_size),
        "model_size": list(h.model_size), "frame_rate": list(h.frame_rate), "time_base": list(h.time_base),
        "continuous_latents": h.has_latents,
    }


def _npy(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


class _ShardFile:
    """One tar being written under a temporary name, renamed when closed whole."""

    def __init__(self, path):
        self.path, self.temp = path, path + ".partial"
        self.tar = tarfile.open(self.temp, "w")
        self.samples = 0

    def add(self, name, data: bytes):
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        self.tar.addfile(info, io.BytesIO(data))

    def close(self):
        self.tar.close()
        os.replace(self.temp, self.path)


def _stream_paths(inputs: List[str]) -> List[str]:
    """The .vtok files named by `inputs` (files, folders, results manifests), in order."""
    out = []
    for p in inputs:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out += [os.path.join(root, f) for f in sorted(files) if f.endswith(".vtok") and not f.startswith(".")]
        elif p.endswith(".jsonl"):
            with open(p, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        raise ValueError(f"{p}:{n}: not a JSON line") from None
                    if isinstance(rec, dict) and rec.get("error") is None and rec.get("output"):
                        out.append(rec["output"])
        else:
            out.append(p)
    return out


def write_shards(inputs, out_dir, window=16, stride=None, pad=False, latents=False, samples_per_shard=1000,
                 log=None) -> dict:
    """Cuts the streams named by `inputs` into windows and writes shards + index.json to `out_dir`.
    pad: keep each segment's last partial window, padded (token 0) and masked; else drop it. Refuses streams of
    different grids or models (a batch must stack). Returns the index."""
    if samples_per_shard < 1:
        raise ValueError("samples_per_shard is at least 1")
    paths = _stream_paths(list(inputs))
    if not paths:
        raise ValueError("no token streams among the inputs")
    os.makedirs(out_dir, exist_ok=True)
    index = {"format": FORMAT, "format_version": FORMAT_VERSION, "window": window,
             "stride": window if stride is None else stride, "padded": bool(pad), "latents": bool(latents),
             "grid": None, "temporal_factor": None, "vocabulary_size": None, "model_name": None,
             "weights_sha256": None, "samples": 0, "streams": 0, "shards": []}
    shard: Optional[_ShardFile] = None
    key = 0
    try:
        for path in paths:
            for w in windows(path, window, stride, "pad" if pad else "drop", latents):
                h = w["header"]
                identity = ([h.latent_height, h.latent_width], h.temporal_factor, h.vocabulary_size,
                            h.weights_sha256.hex())
                if index["grid"] is None:
                    index["grid"], index["temporal_factor"], index["vocabulary_size"], index["weights_sha256"] = identity
                    index["model_name"] = h.model_name
                elif identity != (index["grid"], index["temporal_factor"], index["vocabulary_size"],
                                  index["weights_sha256"]):
                    raise ValueError(f"{path}: grid {identity[0]} / model {h.model_name} differ from the first stream's "
                                     f"({index['grid']} / {index['model_name']}): shard streams of one model and --size")
                if shard is None or shard.samples >= samples_per_shard:
                    if shard is not None:
                        shard.close()
                        index["shards"][-1]["samples"] = shard.samples
                    name = f"shard-{len(index['shards']):06d}.tar"
                    shard = _ShardFile(os.path.join(out_dir, name))
                    index["shards"].append({"name": name, "samples": 0})
                k = f"{key:09d}"
                shard.add(f"{k}.tokens.npy", _npy(w["tokens"].astype(np.uint16)))
                if pad:
                    shard.add(f"{k}.mask.npy", _npy(w["mask"]))
                shard.add(f"{k}.pts.npy", _npy(w["pts"]))
                if latents:
                    shard.add(f"{k}.latents.npy", _npy(w["latents"]))
                meta = {"source": path, "stream_id": h.stream_id.hex(), "segment": w["segment"],
                        "latent_index": w["latent_index"], "frame_index": w["frame_index"],
                        "valid": int(w["mask"].sum()), "header": header_json(h)}
                shard.add(f"{k}.json", json.dumps(meta).encode())
                shard.samples += 1
                key += 1
            index["streams"] += 1
            if log:
                log(f"{path}: {key - index['samples']} window(s)")
            index["samples"] = key
        if shard is not None:
            shard.close()
            index["shards"][-1]["samples"] = shard.samples
            shard = None
    finally:
        if shard is not None:                     # a failure: leave no partial tar behind
            shard.tar.close()
            os.unlink(shard.temp)
    temp = os.path.join(out_dir, "index.json.partial")
    with open(temp, "w", encoding="utf-8") as f:
        json.dump(index, f, indent=1)
    os.replace(temp, os.path.join(out_dir, "index.json"))
    return index


def read_shard(path) -> Iterator[dict]:
    """The samples of one shard with numpy and tarfile only: dicts of tokens (uint16 (window, h, w)), mask (bool
    (window,): all True when the shard has no masks), pts, latents (when written) and meta (the JSON)."""
    with tarfile.open(path, "r") as tar:
        sample, current = {}, None
        for member in tar:
            if not member.isfile():
                continue
            key, _, kind = member.name.partition(".")
            if current is not None and key != current:
                yield _finish(sample)
                sample = {}
            current = key
            data = tar.extractfile(member).read()
            if kind.endswith(".npy"):
                sample[kind[:-4]] = np.load(io.BytesIO(data), allow_pickle=False)
            elif kind == "json":
                sample["meta"] = json.loads(data)
        if sample:
            yield _finish(sample)


def _finish(sample):
    if "mask" not in sample and "tokens" in sample:
        sample["mask"] = np.ones(sample["tokens"].shape[0], dtype=bool)
    return sample


def read_shards(out_dir) -> Iterator[dict]:
    """Every sample of the shards that `out_dir`/index.json lists, in order."""
    with open(os.path.join(out_dir, "index.json"), encoding="utf-8") as f:
        index = json.load(f)
    for s in index["shards"]:
        yield from read_shard(os.path.join(out_dir, s["name"]))


def main(argv=None):
    p = argparse.ArgumentParser(prog="vtok-shards", description="Cut vtok token streams into fixed-length windows "
                                "of latent frames, written as WebDataset-style tar shards (docs/datasets.md).")
    p.add_argument("inputs", nargs="+", metavar="IN", help=".vtok files, folders of them, or results*.jsonl manifests")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (created)")
    p.add_argument("--window", type=int, default=16, help="latent frames per sample (default 16)")
    p.add_argument("--stride", type=int, default=None, help="latent frames between window starts (default: window)")
    p.add_argument("--pad", action="store_true", help="keep each segment's last partial window, padded and masked")
    p.add_argument("--latents", action="store_true", help="also store continuous latents (streams from --continuous)")
    p.add_argument("--samples-per-shard", type=int, default=1000, help="samples per tar file (default 1000)")
    p.add_argument("-q", "--quiet", action="store_true", help="no per-stream lines on stderr")
    a = p.parse_args(argv)
    log = None if a.quiet else (lambda m: print(m, file=sys.stderr))
    try:
        index = write_shards(a.inputs, a.output, a.window, a.stride, a.pad, a.latents, a.samples_per_shard, log)
    except (ValueError, OSError) as e:
        print(f"vtok-shards: {e}", file=sys.stderr)
        return 1
    if not a.quiet:
        print(f"vtok-shards: {index['samples']} samples of {a.window} latent frames from {index['streams']} stream(s) "
              f"in {len(index['shards'])} shard(s) in {a.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
