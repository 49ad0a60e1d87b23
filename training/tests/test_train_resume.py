"""A run whose RUN/last.pt is gone continues from the weights an earlier run kept (export.py's file, committed in
training/checkpoints/): train.py --resume-weights takes every tensor, continues the step count from the file's
training_steps, warms a fresh optimiser up from there, and refuses a file it cannot continue from."""
import json
import os
import subprocess
import sys

import pytest
import torch

from train import lr_at
from vtok_model.data import build_pack
from vtok_model.weights import load_release

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASED = os.path.join(TRAINING, "..", "models", "vtok-4x8x8.safetensors")
SHORT = ["--arch", "v2", "--decoder-only", "--crop", "32", "--batch", "1", "--frames", "5", "--warmup", "2",
         "--image-frac", "0", "--continuous-frac", "0", "--ckpt-every", "1000", "--allocator", "system"]


def train(*args, check=True):
    r = subprocess.run([sys.executable, "train.py", *SHORT, *args], cwd=TRAINING, capture_output=True, text=True,
                       timeout=600)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


def export(run, out):
    r = subprocess.run([sys.executable, "export.py", "--ckpt", os.path.join(run, "last.pt"), "--out", out,
                        "--encoder-from", RELEASED], cwd=TRAINING, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    d = tmp_path_factory.mktemp("videos")
    subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25:duration=1",
                    "-pix_fmt", "yuv420p", str(d / "a.mp4")], check=True)
    (d / "MANIFEST.tsv").write_text("file\tsource_repo\tlicence\tfps\na.mp4\tx\tMIT\t25\n")
    prefix = str(tmp_path_factory.mktemp("pack") / "p")
    build_pack(str(d), prefix, short_side=64, max_frames=25)
    return prefix


@pytest.fixture(scope="module")
def kept(pack, tmp_path_factory):
    """Two steps from the released weights, exported as a session would commit them."""
    run = str(tmp_path_factory.mktemp("run1"))
    train("--pack", pack, "--run", run, "--init", RELEASED, "--max-steps", "2")
    out = str(tmp_path_factory.mktemp("kept") / "d2-latest.safetensors")
    assert export(run, out)["steps"] == 2
    return out


def test_continues_from_kept_weights(pack, kept, tmp_path):
    run = str(tmp_path / "run2")
    r = train("--pack", pack, "--run", run, "--resume-weights", kept, "--max-steps", "3", "--lr", "1e-4")
    assert "resumed from the weights in" in r.stdout and "at step 2" in r.stdout, r.stdout
    rows = open(os.path.join(run, "log.csv")).read().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["3"]                 # the step count goes on from 2
    assert float(rows[1].split(",")[2]) == pytest.approx(0.5e-4, rel=0.02)  # warm-up step 1 of 2, from here
    st = torch.load(os.path.join(run, "last.pt"), map_location="cpu", weights_only=False)
    assert st["step"] == 3
    src = load_release(kept)[0].state_dict()
    enc = [k for k in src if k.startswith("encoder.")]
    assert enc and all(torch.equal(st["model"][k], src[k]) for k in enc)    # the frozen encoder, as kept
    moved = [k for k in src if k.startswith("decoder.") and not torch.equal(st["model"][k], src[k])]
    assert moved                                                            # and the decoder trained on


def test_last_pt_wins_over_kept_weights(pack, kept, tmp_path):
    run = str(tmp_path / "run3")
    train("--pack", pack, "--run", run, "--init", RELEASED, "--max-steps", "1")
    r = train("--pack", pack, "--run", run, "--resume-weights", kept, "--max-steps", "2")
    assert "resumed at step 1" in r.stdout and "from the weights" not in r.stdout, r.stdout


@pytest.mark.parametrize("case", ["v1 file", "damaged", "missing", "with --init"])
def test_refuses_what_it_cannot_continue_from(pack, kept, tmp_path, case):
    path = {"v1 file": RELEASED, "missing": str(tmp_path / "nope.safetensors")}.get(case, kept)
    if case == "damaged":
        path = str(tmp_path / "cut.safetensors")
        open(path, "wb").write(open(kept, "rb").read()[:5000])
    extra = ["--init", RELEASED] if case == "with --init" else []
    run = str(tmp_path / "run")
    r = train("--pack", pack, "--run", run, "--resume-weights", path, "--max-steps", "3", *extra, check=False)
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    assert "--resume-weights" in r.stderr
    assert not os.path.exists(os.path.join(run, "last.pt"))


def test_warmup_counts_from_where_the_optimiser_started():
    class A:
        lr, warmup, decay_minutes, decay_steps, max_steps, minutes = 1e-3, 10, 0, 0, 10 ** 9, 60
    assert lr_at(7000, A, 0.0, warm_from=7000) == pytest.approx(1e-4)
    assert lr_at(7009, A, 0.0, warm_from=7000) == pytest.approx(1e-3)
    assert lr_at(7000, A) == pytest.approx(1e-3)                            # a last.pt resume: no new warm-up
