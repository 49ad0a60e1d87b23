"""Tokenise a manifest of videos with Ray Data: manifest -> (decode + tokenise, one actor per worker) -> tar shards.

    python -m vtok_stream.raydata clips.txt out/ --workers 2            # local Ray on this machine
    python -m vtok_stream.raydata clips.txt s3-mounted/out --address auto   # an existing Ray cluster

Stages (docs/scale-out.md):
  1. the manifest (text: one path per line; or JSONL with "input"/"path") is read on the driver and numbered;
  2. `map_batches(TokeniseClips)`: each actor loads the model once (vtok_stream.engine, libvtokc.so) and, per clip,
     streams frames out of an ffmpeg subprocess scaled as the CLI scales (vtok_stream.video) into an
     EncoderStream, so a worker holds one chunk of frames, never a clip, and only tokens enter Ray's object store;
  3. `map_batches(write_shard)`: `clips_per_shard` clips per WebDataset-style tar: `KEY.tokens.npy` ((L, h, w)
     uint16) and `KEY.json` (the model and stream description), written aside and renamed when complete;
  4. results.jsonl: one line per input (index, input, key, shard, frames, latents, error, cpu_seconds, resumed); a
     clip that fails is recorded with its error and skipped.

`--resume` (a re-run after a kill, a preemption or a failed node): every `shard-*.tar` in the output folder is
verified (the tar reads to its end-of-archive marker, every clip has its tokens and its JSON, the shapes agree,
and each key is the manifest's clip at that index; shards of other weights are an error); the clips of
complete shards are skipped, a shard that fails the check is renamed `NAME.broken` and its clips are redone,
leftovers `*.partial-*` of a killed run are removed.
Clips that failed before are tried again (failures are not shards). One job per output folder at a time.

Ray is imported only here (pip install "ray[data]"); the rest of vtok_stream does not need it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import resource
import sys
import tarfile
import time
from typing import Dict, List, Optional

import numpy as np

from .engine import Tokenizer, find_model
from .video import iter_frames, model_size, probe

__all__ = ["read_manifest", "TokeniseClips", "write_shard", "tokenise_manifest", "read_shard", "verify_shard",
           "completed_clips"]


def read_manifest(path: str) -> List[Dict]:
    """[{index, input}] from a text manifest (a path per line) or JSONL ({"input": ...} or {"path": ...}).
    Blank lines and lines starting with # are skipped; relative paths are taken from the manifest's folder."""
    base = os.path.dirname(os.path.abspath(path))
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("{"):
                try:
                    item = json.loads(line)
                    line = item.get("input") or item.get("path") or item.get("url")
                except (ValueError, AttributeError):
                    line = None
                if not isinstance(line, str):
                    raise ValueError(f"{path}:{number}: a JSON line needs an \"input\" or \"path\" string")
            if "://" not in line and not os.path.isabs(line):
                line = os.path.join(base, line)
            rows.append({"index": len(rows), "input": line})
    return rows


def clip_key(index: int, path: str) -> str:
    """A WebDataset key: no dots (the first dot starts the extension), no slashes."""
    stem = os.path.basename(path.rstrip("/")).split(".")[0]
    return f"{index:08d}_{re.sub(r'[^A-Za-z0-9_-]+', '_', stem)[:64]}"


class TokeniseClips:
    """map_batches callable: paths in, tokens (as .npy bytes) and a JSON header out. One Tokenizer per actor."""

    def __init__(self, model: Optional[str] = None, backend: str = "onednn", threads: int = 1, chunk: int = 16):
        self.tok = Tokenizer(model, backend=backend, threads=threads)
        self.chunk = chunk

    def tokenise(self, path: str):
        info = probe(path)
        w, h = model_size(info["width"], info["height"], factor=self.tok.spatial_factor)
        enc = self.tok.encoder(w, h)
        try:
            parts, counts = [], []
            for frames in iter_frames(path, (w, h), self.chunk):
                parts.append(enc.push(frames))
                counts += enc.last_frame_counts
            parts.append(enc.finish())
            counts += enc.last_frame_counts
        finally:
            enc.close()
        tokens = np.concatenate(parts) if parts else np.zeros((0, h // 8, w // 8), np.uint16)
        if len(tokens) == 0:
            raise ValueError(f"{path}: no frames")
        header = {
            "format": "vtok-tokens-npy", "version": 1, "input": path,
            "model_name": self.tok.name, "weights_sha256": self.tok.sha256, "levels": list(self.tok.levels),
            "vocabulary_size": self.tok.vocabulary_size, "temporal_factor": self.tok.temporal_factor,
            "spatial_factor": self.tok.spatial_factor, "source_size": [info["width"], info["height"]],
            "model_size": [w, h], "frame_rate": info["frame_rate"], "frames": int(sum(counts)),
            "latent_frames": int(len(tokens)), "frame_counts": counts, "shape": list(tokens.shape),
        }
        return tokens, header

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        out = {k: [] for k in ("index", "input", "key", "tokens_npy", "header_json", "frames", "latents", "error",
                               "cpu_seconds")}
        for index, path in zip(batch["index"], batch["input"]):
            index, path = int(index), str(path)
            cpu = _cpu_seconds()
            try:
                tokens, header = self.tokenise(path)
                buf = io.BytesIO()
                np.save(buf, tokens, allow_pickle=False)
                blob, text, error = buf.getvalue(), json.dumps(header), ""
                frames, latents = header["frames"], header["latent_frames"]
            except Exception as e:  # recorded and skipped: one bad clip never stops the job
                blob, text, error, frames, latents = b"", "", f"{type(e).__name__}: {e}", 0, 0
            cpu = _cpu_seconds() - cpu
            for k, v in (("index", index), ("input", path), ("key", clip_key(index, path)), ("tokens_npy", blob),
                         ("header_json", text), ("frames", frames), ("latents", latents), ("error", error),
                         ("cpu_seconds", round(cpu, 4))):
                out[k].append(v)
        return {k: np.array(v, dtype=object if k in ("tokens_npy", "input", "key", "header_json", "error") else None)
                for k, v in out.items()}


def _cpu_seconds() -> float:
    """CPU time of this process (the engine's threads) and of its waited-for children (ffmpeg, ffprobe)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def write_shard(batch: Dict[str, np.ndarray], out_dir: str) -> Dict[str, np.ndarray]:
    """Writes the batch's successful clips to out_dir/shard-FIRSTINDEX.tar (aside, then renamed); returns the
    results rows, without the token bytes."""
    ok = [i for i, e in enumerate(batch["error"]) if not e]
    shard = ""
    if ok:
        first = min(int(batch["index"][i]) for i in ok)
        shard = f"shard-{first:08d}.tar"
        final = os.path.join(out_dir, shard)
        partial = final + f".partial-{os.getpid()}"
        with tarfile.open(partial, "w") as tar:
            for i in sorted(ok, key=lambda i: int(batch["index"][i])):
                key = str(batch["key"][i])
                for name, data in ((f"{key}.tokens.npy", bytes(batch["tokens_npy"][i])),
                                   (f"{key}.json", str(batch["header_json"][i]).encode())):
                    member = tarfile.TarInfo(name)
                    member.size, member.mtime, member.mode = len(data), 0, 0o644
                    tar.addfile(member, io.BytesIO(data))
        os.replace(partial, final)
    n = len(batch["index"])
    return {
        "index": np.asarray(batch["index"], dtype=np.int64), "input": np.asarray(batch["input"], dtype=object),
        "key": np.asarray(batch["key"], dtype=object),
        "shard": np.array([shard if not batch["error"][i] else "" for i in range(n)], dtype=object),
        "frames": np.asarray(batch["frames"], dtype=np.int64), "latents": np.asarray(batch["latents"], dtype=np.int64),
        "error": np.asarray(batch["error"], dtype=object),
        "cpu_seconds": np.asarray(batch["cpu_seconds"], dtype=np.float64),
    }


def tokenise_manifest(manifest: str, out_dir: str, *, workers: int = 2, clips_per_shard: int = 64,
                      model: Optional[str] = None, backend: str = "onednn", threads_per_worker: int = 1,
                      clips_per_task: int = 1, resume: bool = False) -> List[Dict]:
    """Runs the pipeline on the Ray that is initialised (ray.init is the caller's, or local with defaults); returns
    the results rows, also written to out_dir/results.jsonl, in manifest order. resume: skip the clips that
    complete shards in out_dir already hold (`completed_clips`); Ray is not needed when nothing is left."""
    os.makedirs(out_dir, exist_ok=True)
    rows = read_manifest(manifest)
    if not rows:
        raise ValueError(f"{manifest}: no inputs")
    done: Dict[int, Dict] = completed_clips(out_dir, rows, _file_sha256(model or find_model())) if resume else {}
    todo = [r for r in rows if r["index"] not in done]
    results = list(done.values())
    if todo:
        results += _run(todo, out_dir, workers=workers, clips_per_shard=clips_per_shard, model=model,
                        backend=backend, threads_per_worker=threads_per_worker, clips_per_task=clips_per_task)
    results.sort(key=lambda r: r["index"])
    tmp = os.path.join(out_dir, "results.jsonl.partial")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")
    os.replace(tmp, os.path.join(out_dir, "results.jsonl"))
    return results


def _run(rows: List[Dict], out_dir: str, *, workers: int, clips_per_shard: int, model: Optional[str], backend: str,
         threads_per_worker: int, clips_per_task: int) -> List[Dict]:
    """The Ray Data pipeline over `rows`: their results rows (resumed False), in no particular order."""
    import ray

    ds = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), workers * 4)))
    ds = ds.map_batches(TokeniseClips, fn_constructor_kwargs={"model": model, "backend": backend,
                                                              "threads": threads_per_worker},
                        batch_size=clips_per_task, concurrency=workers, num_cpus=threads_per_worker,
                        batch_format="numpy")
    ds = ds.map_batches(write_shard, fn_kwargs={"out_dir": os.path.abspath(out_dir)}, batch_size=clips_per_shard,
                        batch_format="numpy", num_cpus=0.25)
    return [dict({k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}, resumed=False)
            for r in ds.iter_rows()]


def verify_shard(path: str) -> Optional[Dict[str, dict]]:
    """{key: header} of a complete shard, None for anything else: a tar cut anywhere (inside a member, or
    between members: the end-of-archive marker must follow the last one), a clip without its tokens or its
    JSON, tokens that do not load or do not have the shape and length the JSON gives."""
    try:
        with open(path, "rb") as raw, tarfile.open(fileobj=raw, mode="r:") as tar:
            parts: Dict[str, Dict[str, bytes]] = {}
            for m in tar:
                f = tar.extractfile(m)
                if f is None:
                    return None
                data = f.read()
                if len(data) != m.size:
                    return None
                key, _, ext = m.name.partition(".")
                parts.setdefault(key, {})[ext] = data
            raw.seek(tar.offset)
            if raw.read(1024) != bytes(1024):       # two zero blocks: the writer closed the archive
                return None
        headers = {}
        for key, p in parts.items():
            if set(p) != {"tokens.npy", "json"}:
                return None
            tokens = np.load(io.BytesIO(p["tokens.npy"]), allow_pickle=False)
            header = json.loads(p["json"])
            if (tokens.dtype != np.uint16 or tokens.ndim != 3 or list(tokens.shape) != header.get("shape")
                    or tokens.shape[0] != header.get("latent_frames")):
                return None
            headers[key] = header
        return headers or None
    except (OSError, EOFError, ValueError, tarfile.TarError, AttributeError, TypeError):
        return None


def _file_sha256(path: Optional[str]) -> Optional[str]:
    """Hex SHA-256 of a file (a model's weights_sha256), None without one (the workers find their model)."""
    if not path or not os.path.isfile(path):
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def completed_clips(out_dir: str, rows: List[Dict], weights_sha256: Optional[str] = None) -> Dict[int, Dict]:
    """{index: results row} of the manifest rows that complete shards in out_dir hold (see `verify_shard`).
    Removes `*.partial-*` leftovers and renames a shard that fails the check to `NAME.broken`. With
    weights_sha256, a complete shard made with other weights is an error (ValueError): resuming would mix models."""
    by_key = {clip_key(r["index"], r["input"]): r for r in rows}
    done: Dict[int, Dict] = {}
    for name in sorted(os.listdir(out_dir)):
        path = os.path.join(out_dir, name)
        if ".tar.partial-" in name:
            os.remove(path)                       # a shard a killed run was writing
            continue
        if not (name.startswith("shard-") and name.endswith(".tar")):
            continue
        headers = verify_shard(path)
        if headers is None:
            os.replace(path, path + ".broken")
            print(f"vtok: {path}: not a complete shard, renamed to {name}.broken; its clips are redone",
                  file=sys.stderr)
            continue
        for key, header in headers.items():
            if weights_sha256 and header.get("weights_sha256") != weights_sha256:
                raise ValueError(f"{path}: made with weights {str(header.get('weights_sha256'))[:12]}..., not the "
                                 f"model of this run ({weights_sha256[:12]}...): resume into a new output folder")
            row = by_key.get(key)
            if row is None or header.get("input") != row["input"] or row["index"] in done:
                continue                          # another manifest's clip, or already counted
            done[row["index"]] = {"index": row["index"], "input": row["input"], "key": key, "shard": name,
                                  "frames": int(header["frames"]), "latents": int(header["latent_frames"]),
                                  "error": "", "cpu_seconds": 0.0, "resumed": True}
    return done


def read_shard(path: str) -> Dict[str, tuple]:
    """{key: (tokens (L, h, w) uint16, header dict)} of one shard (plain tarfile + numpy; no vtok needed)."""
    out: Dict[str, list] = {}
    with tarfile.open(path) as tar:
        for m in tar:
            f = tar.extractfile(m)
            if f is None:
                continue
            key, _, ext = m.name.partition(".")
            slot = out.setdefault(key, [None, None])
            if ext == "tokens.npy":
                slot[0] = np.load(io.BytesIO(f.read()), allow_pickle=False)
            elif ext == "json":
                slot[1] = json.loads(f.read())
    return {k: (v[0], v[1]) for k, v in out.items()}


def local_ray(num_cpus: int, **kwargs) -> None:
    """ray.init on this machine, with this copy of vtok_stream importable by the workers."""
    import ray

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = here + (os.pathsep + path if path else "")   # workers inherit the environment
    ray.init(num_cpus=num_cpus, include_dashboard=False, **kwargs)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m vtok_stream.raydata", description=__doc__.split("\n\n")[0])
    p.add_argument("manifest", help="text (a path per line) or JSONL manifest")
    p.add_argument("out", help="output folder: shard-*.tar and results.jsonl")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="tokeniser actors (default: cores)")
    p.add_argument("--threads-per-worker", type=int, default=1)
    p.add_argument("--clips-per-shard", type=int, default=64)
    p.add_argument("--model", help="weights file (default: the released model)")
    p.add_argument("--backend", default="onednn", choices=["onednn", "openblas"])
    p.add_argument("--address", help="Ray cluster address (e.g. auto); default: a local Ray with --workers CPUs")
    p.add_argument("--resume", action="store_true",
                   help="skip the clips of complete shards already in OUT (a re-run after a kill); redo the rest")
    a = p.parse_args(argv)
    import ray

    if a.address:
        ray.init(address=a.address)   # the nodes have vtok_stream installed (docs/scale-out.md)
    else:
        local_ray(max(1, a.workers * a.threads_per_worker))
    ray.data.DataContext.get_current().enable_progress_bars = sys.stderr.isatty()
    start = time.perf_counter()
    results = tokenise_manifest(a.manifest, a.out, workers=a.workers, clips_per_shard=a.clips_per_shard,
                                model=a.model, backend=a.backend, threads_per_worker=a.threads_per_worker,
                                resume=a.resume)
    seconds = time.perf_counter() - start
    frames = sum(r["frames"] for r in results if not r["resumed"])     # what this run tokenised
    cpu = sum(r["cpu_seconds"] for r in results if not r["resumed"])
    failed = [r for r in results if r["error"]]
    print(json.dumps({"runner": "ray data", "workers": a.workers, "clips": len(results), "failed": len(failed),
                      "resumed": sum(1 for r in results if r["resumed"]),
                      "frames": frames, "seconds": round(seconds, 2),
                      "frames_per_second": round(frames / seconds, 1) if seconds else None,
                      "cpu_seconds": round(cpu, 2), "frames_per_cpu_second": round(frames / cpu, 1) if cpu else None}))
    for r in failed:
        print(f"vtok: {r['input']}: {r['error']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
