"""The one weight-name table (vtok_model/weights.py) against the committed weights files.

The Swift engine loads these same files (ParityTests, the pipeline and CLI tests) and refuses a tensor missing,
extra or misshapen, and an encoder identity that does not match its tensors (VtokModel.swift). So when every
file here holds exactly the table's names, with the table's shapes and identity, both sides name the weights the
same way; a name changed on one side only breaks one of the two test suites.
"""
import glob
import os

import pytest
import torch
from safetensors import safe_open

from vtok_model import ModelConfig
from vtok_model.weights import FORMAT, encoder_identity, engine_names, load_release, name_table

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests/VtokEngineTests/Fixtures")
RELEASE = os.path.join(ROOT, "models/vtok-4x8x8.safetensors")
KEPT = os.path.join(ROOT, "training/checkpoints")        # a training run kept between sessions (training/README.md)


def weights_files() -> list[str]:
    """Every committed release-format file (the *-cases files are test vectors, not weights)."""
    out = []
    kept = sorted(glob.glob(os.path.join(KEPT, "*.safetensors")))
    for path in [RELEASE] + sorted(glob.glob(os.path.join(FIXTURES, "*.safetensors"))) + kept:
        with safe_open(path, "pt") as f:
            if (f.metadata() or {}).get("format") == FORMAT:
                out.append(path)
    return out


def read(path: str) -> tuple[ModelConfig, dict]:
    with safe_open(path, "pt") as f:
        meta = f.metadata()
        return ModelConfig.from_json(meta["vtok_config"]), {k: f.get_tensor(k) for k in f.keys()}


def test_the_committed_weights_files_are_all_found():
    names = sorted(os.path.relpath(p, ROOT) for p in weights_files())
    assert names == ["Tests/VtokEngineTests/Fixtures/tiny-model-d2.safetensors",
                     "Tests/VtokEngineTests/Fixtures/tiny-model.safetensors",
                     "models/vtok-4x8x8.safetensors",
                     "training/checkpoints/d2-latest.safetensors"]


@pytest.mark.parametrize("path", weights_files(), ids=os.path.basename)
def test_file_holds_exactly_the_table(path):
    cfg, tensors = read(path)
    table = engine_names(cfg)
    assert len(table) == len(set(table)), "the table names a tensor twice"
    assert set(tensors) - set(table) == set(), "tensors in the file the table does not name"
    assert set(table) - set(tensors) == set(), "tensors the table names that the file lacks"


@pytest.mark.parametrize("path", weights_files(), ids=os.path.basename)
def test_file_shapes_are_the_engine_layout(path):
    """The shapes LayerWeights.swift reads: conv (kt, ks, ks, cin, cout) + bias (cout); res conv2 has kt 1."""
    cfg, tensors = read(path)
    want = {}
    for op in cfg.encoder + cfg.decoder:
        n = op.get("name")
        if op["op"] == "conv":
            want[f"{n}.weight"] = (op["kt"], op["ks"], op["ks"], op["cin"], op["cout"])
            want[f"{n}.bias"] = (op["cout"],)
        elif op["op"] == "res":
            c = op["c"]
            for sub, kt in (("1", op["kt"]), ("2", 1)):
                want[f"{n}.norm{sub}.weight"] = (c,)
                want[f"{n}.conv{sub}.weight"] = (kt, 3, 3, c, c)
                want[f"{n}.conv{sub}.bias"] = (c,)
        elif op["op"] == "norm":
            want[f"{n}.weight"] = (op["c"],)
    assert {k: tuple(v.shape) for k, v in tensors.items()} == want
    assert all(v.dtype == torch.float32 for v in tensors.values())
    load_release(path)                                     # and the PyTorch side maps every one onto the model


def test_encoder_identity_in_table_order_matches_the_files():
    """tiny-model-d2 declares the identity the engine checks at load; its encoder is tiny-model's, copied."""
    cfg, tensors = read(os.path.join(FIXTURES, "tiny-model-d2.safetensors"))
    with safe_open(os.path.join(FIXTURES, "tiny-model-d2.safetensors"), "pt") as f:
        declared = f.metadata()["vtok_encoder_sha256"]
    assert encoder_identity(cfg, tensors) == declared
    v1_cfg, v1_tensors = read(os.path.join(FIXTURES, "tiny-model.safetensors"))
    assert encoder_identity(v1_cfg, v1_tensors) == declared
    encoder = [eng for eng, tn, _ in name_table(cfg) if tn.startswith("encoder.")]
    assert engine_names(cfg, sides=("encoder",)) == encoder and encoder == engine_names(cfg)[:len(encoder)]


def test_the_kept_run_reads_every_stream_of_the_released_encoder():
    """training/checkpoints/d2-latest.safetensors was trained with the released encoder frozen: its encoder tensors
    are the released file's bit for bit, it declares that identity, and it says how far its run has come."""
    path = os.path.join(KEPT, "d2-latest.safetensors")
    cfg, tensors = read(path)
    rcfg, rtensors = read(RELEASE)
    encoder = engine_names(rcfg, sides=("encoder",))
    assert encoder and all(torch.equal(tensors[k], rtensors[k]) for k in encoder)
    with safe_open(path, "pt") as f:
        meta = f.metadata()
    assert meta["vtok_encoder_sha256"] == encoder_identity(cfg, tensors) == encoder_identity(rcfg, rtensors)
    assert cfg.version == 2 and int(meta["training_steps"]) > 0 and meta["weights"] == "ema"
