"""Training shards (docs/datasets.md): vtok-shards output read back with tarfile + numpy alone, and as batches."""

import io
import json
import os
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from helpers import ROOT, TINY_MODEL
from vtok_stream import ModelInfo, write_stream
from vtok_stream.shards import main, read_shard, read_shards, write_shards

TINY = ModelInfo.from_file(TINY_MODEL)


def stream_file(path, latent_frames, grid=(2, 3), base=0, continuous=False, model=TINY):
    tokens = np.stack([np.full(grid, base + l, np.uint16) for l in range(latent_frames)])
    latents = None
    if continuous:
        latents = np.zeros(tokens.shape + (6,), np.float32) + np.arange(latent_frames)[:, None, None, None] / 100
    write_stream(str(path), tokens, model=model, latents=latents)
    return str(path)


def test_shards_hold_fixed_windows_readable_with_tarfile_and_numpy(tmp_path):
    a = stream_file(tmp_path / "a.vtok", 9)                   # 9 latents, window 4: 2 windows (remainder dropped)
    b = stream_file(tmp_path / "b.vtok", 4, base=100)         # 1 window
    index = write_shards([a, b], tmp_path / "out", window=4, samples_per_shard=2)
    assert index["samples"] == 3 and index["streams"] == 2 and index["grid"] == [2, 3]
    assert [s["samples"] for s in index["shards"]] == [2, 1]
    assert index["weights_sha256"] == TINY.weights_sha256.hex() and index["vocabulary_size"] == 64000
    assert sorted(os.listdir(tmp_path / "out")) == ["index.json", "shard-000000.tar", "shard-000001.tar"]

    # Plain tarfile + numpy, as a loader without vtok reads it.
    with tarfile.open(tmp_path / "out" / "shard-000000.tar") as tar:
        names = tar.getnames()
        assert names[:3] == ["000000000.tokens.npy", "000000000.pts.npy", "000000000.json"]
        tokens = np.load(io.BytesIO(tar.extractfile("000000001.tokens.npy").read()))
        meta = json.loads(tar.extractfile("000000001.json").read())
    assert tokens.dtype == np.uint16 and tokens.shape == (4, 2, 3)
    assert tokens[:, 0, 0].tolist() == [4, 5, 6, 7]
    assert meta["source"] == a and meta["latent_index"] == 4 and meta["frame_index"] == 13 and meta["valid"] == 4
    assert meta["header"]["model_name"] == "vtok-tiny-test" and meta["header"]["latent_grid"] == [2, 3]
    assert meta["header"]["version"] == "1.1"

    samples = list(read_shards(tmp_path / "out"))
    assert [int(s["tokens"][0, 0, 0]) for s in samples] == [0, 4, 100]
    assert all(s["mask"].all() and s["pts"].shape == (4, 4) for s in samples)


def test_padding_latents_and_results_manifest_inputs(tmp_path):
    a = stream_file(tmp_path / "a.vtok", 5, continuous=True)
    manifest = tmp_path / "results.jsonl"
    manifest.write_text(json.dumps({"input": "x.mp4", "output": a, "error": None}) + "\n"
                        + json.dumps({"input": "y.mp4", "output": None, "error": "cannot open"}) + "\n")
    index = write_shards([str(manifest)], tmp_path / "out", window=4, pad=True, latents=True)
    assert index["samples"] == 2 and index["padded"] and index["latents"]
    s = list(read_shards(tmp_path / "out"))
    assert s[1]["mask"].tolist() == [True, False, False, False]
    assert s[1]["latents"].shape == (4, 2, 3, 6) and s[1]["latents"][0, 0, 0, 0] == np.float32(0.04)


def test_streams_of_different_grids_are_refused_and_leave_no_partial_shard(tmp_path):
    a = stream_file(tmp_path / "a.vtok", 4)
    b = stream_file(tmp_path / "b.vtok", 4, grid=(3, 3))
    with pytest.raises(ValueError, match="differ from the first stream"):
        write_shards([a, b], tmp_path / "out", window=4)
    assert [f for f in os.listdir(tmp_path / "out") if f.endswith(".partial")] == []


def test_the_command_on_a_folder(tmp_path, capsys):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    stream_file(tmp_path / "in" / "a.vtok", 8)
    stream_file(tmp_path / "in" / "sub" / "b.vtok", 8)
    assert main([str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--window", "2", "--stride", "4"]) == 0
    assert "4 samples of 2 latent frames from 2 stream(s) in 1 shard(s)" in capsys.readouterr().err
    assert main([str(tmp_path / "nothing.vtok"), "-o", str(tmp_path / "o2")]) == 1
    assert capsys.readouterr().err.startswith("vtok-shards: ")
    # as a process, through the module (the installed console script `vtok-shards` runs the same main)
    r = subprocess.run([sys.executable, "-m", "vtok_stream.shards", str(tmp_path / "in"), "-o", str(tmp_path / "o3"),
                        "-q", "--window", "8"], capture_output=True, cwd=os.path.join(ROOT, "python"), timeout=120)
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    assert json.load(open(tmp_path / "o3" / "index.json"))["samples"] == 2


def test_shard_dataset_batches(tmp_path):
    torch = pytest.importorskip("torch")
    from vtok_stream.dataset import ShardDataset, collate_windows
    paths = [stream_file(tmp_path / f"s{i}.vtok", n) for i, n in enumerate([9, 5, 13])]
    write_shards(paths, tmp_path / "out", window=4, pad=True, samples_per_shard=3)
    for workers in (0, 2):
        loader = torch.utils.data.DataLoader(ShardDataset(str(tmp_path / "out")), batch_size=8, num_workers=workers,
                                             collate_fn=collate_windows)
        batches = list(loader)
        assert sum(b["tokens"].shape[0] for b in batches) == 3 + 2 + 4
        assert all(b["tokens"].shape[1:] == (4, 2, 3) and b["tokens"].dtype == torch.int64 for b in batches)
        assert sum(int(b["mask"].sum()) for b in batches) == 9 + 5 + 13
