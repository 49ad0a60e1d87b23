import json
import struct

import pytest
import torch

from export import load_release, name_table, save_release
from fixtures import randomise, tiny_config
from vtok_model import ModelConfig, Tokenizer
from vtok_model.config import ConfigError


def test_round_trip_is_exact(tmp_path):
    m = Tokenizer(tiny_config()).eval()
    randomise(m, 5)
    path = str(tmp_path / "m.safetensors")
    save_release(m, path, {"training_steps": 7})
    back, meta = load_release(path)
    assert meta["training_steps"] == "7"
    for (k, a), (_, b) in zip(m.state_dict().items(), back.state_dict().items()):
        assert torch.equal(a, b), k
    x = torch.rand(1, 3, 5, 16, 24) * 2 - 1
    assert torch.equal(m.encode_tokens(x)[0], back.encode_tokens(x)[0])


def test_name_table_covers_every_parameter():
    m = Tokenizer(ModelConfig())
    names = {tn for _, tn, _ in name_table(m.cfg)}
    assert names == set(m.state_dict().keys())


def test_conv_layout_is_kt_kh_kw_cin_cout(tmp_path):
    from safetensors import safe_open
    m = Tokenizer(tiny_config())
    path = str(tmp_path / "m.safetensors")
    save_release(m, path)
    with safe_open(path, "pt") as f:
        w = f.get_tensor("dec.conv_in.weight")
    assert tuple(w.shape) == (2, 3, 3, 6, 32)
    ref = m.decoder.mods["dec_conv_in"].conv.weight
    assert torch.equal(w[1, 0, 2, 4, 7], ref[7, 4, 1, 0, 2])


def test_unknown_config_version_rejected():
    cfg = json.loads(ModelConfig().to_json())
    cfg["version"] = 99
    with pytest.raises(ConfigError):
        ModelConfig.from_json(json.dumps(cfg))


def test_wrong_shape_rejected(tmp_path):
    m = Tokenizer(tiny_config())
    path = str(tmp_path / "m.safetensors")
    save_release(m, path)
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header["dec.conv_in.bias"]["shape"] = [16, 2]
    hb = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(hb)) + hb + raw[8 + n:])
    with pytest.raises(ValueError):
        load_release(path)


def test_release_architecture_within_compute_budget():
    from vtok_model.flops import flops_per_frame
    f = flops_per_frame(ModelConfig(), 256, 256)
    assert f["encoder_per_frame"] <= 2e9          # issue 2's budget at 256x256
    assert f["decoder_per_frame"] <= 6e9
