"""`python -m vtok_stream.raydata --resume` (issue 11): a re-run skips the clips of complete shards and redoes
the rest. The shard checks run without Ray or the engine; the re-run itself on a local Ray (skipped without
ray[data] or libvtokc.so, failing in CI)."""

import io
import json
import os

import numpy as np
import pytest

from helpers import make_clip
from vtok_stream import engine, raydata

IN_CI = bool(os.environ.get("CI"))
try:
    import ray
except ImportError:
    if IN_CI:
        raise
    ray = None

needs_ray = pytest.mark.skipif(ray is None or engine.find_library() is None, reason="needs ray[data] and libvtokc.so")


def npy(tokens):
    buf = io.BytesIO()
    np.save(buf, tokens, allow_pickle=False)
    return buf.getvalue()


def batch(rows, latents=3, sha="ab" * 32):
    """A write_shard batch as TokeniseClips makes it, for rows [(index, input)]."""
    toks = [((np.arange(latents * 4 * 6) + i) % 64000).astype(np.uint16).reshape(latents, 4, 6) for i, _ in rows]
    headers = [json.dumps({"input": p, "shape": [latents, 4, 6], "latent_frames": latents, "weights_sha256": sha,
                           "frames": 1 + 4 * (latents - 1)}) for _, p in rows]
    obj = lambda v: np.array(v, dtype=object)  # noqa: E731
    return {"index": np.array([i for i, _ in rows]), "input": obj([p for _, p in rows]),
            "key": obj([raydata.clip_key(i, p) for i, p in rows]), "tokens_npy": obj([npy(t) for t in toks]),
            "header_json": obj(headers), "frames": np.array([1 + 4 * (latents - 1)] * len(rows)),
            "latents": np.array([latents] * len(rows)), "error": obj([""] * len(rows)),
            "cpu_seconds": np.array([0.5] * len(rows))}


def test_only_a_complete_shard_passes_the_check(tmp_path):
    raydata.write_shard(batch([(0, "/v/a.mp4"), (1, "/v/b.mp4"), (2, "/v/c.mp4")]), str(tmp_path))
    path = tmp_path / "shard-00000000.tar"
    data = path.read_bytes()
    headers = raydata.verify_shard(str(path))
    assert sorted(headers) == ["00000000_a", "00000001_b", "00000002_c"]
    # The archive's content ends with two zero blocks; the writer pads the file to 10240 bytes after them.
    content = data.rstrip(b"\0")
    end = -(-len(content) // 512) * 512 + 1024
    cut = tmp_path / "cut.tar"
    for n in list(range(0, end, 37)) + [end - 1]:    # a killed write, or a copy cut short, anywhere
        cut.write_bytes(data[:n])
        assert raydata.verify_shard(str(cut)) is None, n
    cut.write_bytes(data[:end])
    assert raydata.verify_shard(str(cut)) == headers


def test_a_shard_with_a_clip_missing_a_part_or_a_wrong_shape_fails(tmp_path):
    b = batch([(0, "/v/a.mp4"), (1, "/v/b.mp4")])
    b["header_json"][1] = json.dumps({"input": "/v/b.mp4", "shape": [9, 4, 6], "latent_frames": 9, "frames": 33})
    raydata.write_shard(b, str(tmp_path))
    assert raydata.verify_shard(str(tmp_path / "shard-00000000.tar")) is None
    import tarfile
    with tarfile.open(tmp_path / "one.tar", "w") as tar:      # tokens without their JSON
        member = tarfile.TarInfo("00000000_a.tokens.npy")
        blob = npy(np.zeros((1, 2, 2), np.uint16))
        member.size = len(blob)
        tar.addfile(member, io.BytesIO(blob))
    assert raydata.verify_shard(str(tmp_path / "one.tar")) is None
    (tmp_path / "junk.tar").write_bytes(os.urandom(3000))
    assert raydata.verify_shard(str(tmp_path / "junk.tar")) is None


def test_completed_clips_skips_complete_shards_and_sets_aside_the_rest(tmp_path):
    rows = [{"index": i, "input": f"/v/clip{i}.mp4"} for i in range(6)]
    out = str(tmp_path)
    raydata.write_shard(batch([(0, rows[0]["input"]), (1, rows[1]["input"])]), out)
    raydata.write_shard(batch([(2, rows[2]["input"]), (3, rows[3]["input"])]), out)
    raydata.write_shard(batch([(4, rows[4]["input"])]), out)
    whole = (tmp_path / "shard-00000002.tar").read_bytes()
    (tmp_path / "shard-00000002.tar").write_bytes(whole[:len(whole) // 3])          # cut short
    (tmp_path / "shard-00000005.tar.partial-4242").write_bytes(whole[:700])        # a killed run's leftover
    raydata.write_shard(batch([(5, "/elsewhere/clip5.mp4")]), out)                  # another manifest's clip 5

    done = raydata.completed_clips(out, rows)

    assert sorted(done) == [0, 1, 4]
    assert done[4] == {"index": 4, "input": "/v/clip4.mp4", "key": "00000004_clip4", "shard": "shard-00000004.tar",
                       "frames": 9, "latents": 3, "error": "", "cpu_seconds": 0.0, "resumed": True}
    names = sorted(os.listdir(out))
    assert "shard-00000002.tar.broken" in names and "shard-00000002.tar" not in names
    assert not [n for n in names if ".partial-" in n]


def test_resuming_with_another_model_is_refused(tmp_path):
    rows = [{"index": 0, "input": "/v/a.mp4"}]
    raydata.write_shard(batch([(0, "/v/a.mp4")], sha="cd" * 32), str(tmp_path))
    assert sorted(raydata.completed_clips(str(tmp_path), rows, "cd" * 32)) == [0]
    with pytest.raises(ValueError, match="resume into a new output folder"):
        raydata.completed_clips(str(tmp_path), rows, "ab" * 32)


def test_resume_with_everything_done_needs_no_ray(tmp_path, monkeypatch):
    manifest = tmp_path / "m.txt"
    manifest.write_text("a.mp4\nb.mp4\n")
    out = tmp_path / "out"
    out.mkdir()
    rows = raydata.read_manifest(str(manifest))
    raydata.write_shard(batch([(r["index"], r["input"]) for r in rows]), str(out))
    monkeypatch.setattr(raydata, "_run", lambda *a, **k: pytest.fail("nothing was left to do"))
    model = tmp_path / "model.safetensors"
    model.write_bytes(b"weights")
    with pytest.raises(ValueError, match="not the model of this run"):
        raydata.tokenise_manifest(str(manifest), str(out), model=str(model), resume=True)
    monkeypatch.setattr(raydata, "_file_sha256", lambda path: "ab" * 32)
    results = raydata.tokenise_manifest(str(manifest), str(out), resume=True)
    assert [r["resumed"] for r in results] == [True, True]
    with open(out / "results.jsonl") as f:
        assert [json.loads(line) for line in f] == results


@needs_ray
def test_rerun_after_a_kill_redoes_only_the_missing_and_partial_shards(tmp_path, local_ray):
    for name, frames in (("a.mp4", 9), ("b.mp4", 5), ("c.mp4", 13)):
        make_clip(tmp_path / name, "64x64", frames)
    manifest = tmp_path / "m.txt"
    manifest.write_text("a.mp4\nb.mp4\nc.mp4\n")
    out = tmp_path / "out"
    first = raydata.tokenise_manifest(str(manifest), str(out), workers=2, clips_per_shard=1)
    assert [r["error"] for r in first] == ["", "", ""] and [r["resumed"] for r in first] == [False] * 3
    tokens = {}
    for r in first:
        tokens.update(raydata.read_shard(str(out / r["shard"])))
    kept = os.stat(out / first[0]["shard"])
    # As a run killed while writing: clip 1's shard cut short, clip 2's only begun (its .partial left behind).
    cut = out / first[1]["shard"]
    cut.write_bytes(cut.read_bytes()[:1500])
    gone = out / first[2]["shard"]
    (out / (first[2]["shard"] + ".partial-77")).write_bytes(gone.read_bytes()[:900])
    gone.unlink()

    again = raydata.tokenise_manifest(str(manifest), str(out), workers=2, clips_per_shard=1, resume=True)

    assert [r["resumed"] for r in again] == [True, False, False]
    assert [r["error"] for r in again] == ["", "", ""]
    assert [(r["key"], r["frames"], r["latents"]) for r in again] == [(r["key"], r["frames"], r["latents"])
                                                                      for r in first]
    now = os.stat(out / first[0]["shard"])
    assert (now.st_ino, now.st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)    # not rewritten
    for r in again:
        got = raydata.read_shard(str(out / r["shard"]))
        assert np.array_equal(got[r["key"]][0], tokens[r["key"]][0])
    names = os.listdir(out)
    assert (first[1]["shard"] + ".broken") in names and not [n for n in names if ".partial-" in n]
