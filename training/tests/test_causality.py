"""Streaming invariants of the reference model: chunk plans, causality, decoder streaming."""
import pytest
import torch

from fixtures import randomise, tiny_config, tiny_config_v2
from vtok_model import ModelConfig, Tokenizer
from vtok_model.config import decoder_v2
from vtok_model.model import DecoderStream, EncoderStream


def models():
    torch.manual_seed(0)
    tiny = Tokenizer(tiny_config()).eval()
    randomise(tiny, 3)
    full = Tokenizer(ModelConfig()).eval()
    return [tiny, full]


def stream_tokens(m, x, plan):
    es = EncoderStream(m)
    outs, i = [], 0
    for n in plan:
        r = es.feed(x[:, :, i:i + n])
        i += n
        if r is not None:
            outs.append(r[0])
    r = es.finish()
    if r is not None:
        outs.append(r[0])
    return torch.cat(outs, dim=1)


@pytest.mark.parametrize("m", models(), ids=["tiny", "release-arch"])
@pytest.mark.parametrize("plan", [[1] * 13, [1, 4, 4, 4], [1, 12], [5, 8], [13], [2, 3, 7, 1]])
def test_chunk_plans_identical(m, plan):
    torch.manual_seed(1)
    x = torch.rand(1, 3, 13, 32, 48) * 2 - 1
    whole, _ = m.encode_tokens(x)
    assert torch.equal(stream_tokens(m, x, plan), whole)


@pytest.mark.parametrize("n", [1, 2, 5, 6, 8, 10])
def test_partial_final_group(n):
    m = models()[0]
    x = torch.rand(1, 3, n, 16, 24) * 2 - 1
    whole, _ = m.encode_tokens(x)
    assert whole.shape[1] == Tokenizer.num_latents(n)
    assert torch.equal(stream_tokens(m, x, [1] * n), whole)


@pytest.mark.parametrize("m", models(), ids=["tiny", "release-arch"])
def test_future_frames_never_change_past_tokens(m):
    torch.manual_seed(2)
    x = torch.rand(1, 3, 13, 32, 32) * 2 - 1
    base, _ = m.encode_tokens(x)
    for t in range(13):
        y = x.clone()
        y[:, :, t:] = torch.rand_like(y[:, :, t:]) * 2 - 1
        tok, _ = m.encode_tokens(y)
        # frames <= t-1 feed latents 0 .. floor((t-1+3)/4) - 1 completely; latent k needs frames up to 4k
        done = 0 if t == 0 else 1 + (t - 1) // 4
        assert torch.equal(tok[:, :done], base[:, :done]), t
        if t > 0:
            assert not torch.equal(tok[:, done:], base[:, done:]) or done == base.shape[1]


def decoder_models():
    torch.manual_seed(0)
    tiny2 = Tokenizer(tiny_config_v2()).eval()
    randomise(tiny2, 4)
    full2 = Tokenizer(ModelConfig(version=2, decoder=decoder_v2())).eval()
    return models() + [tiny2, full2]


@pytest.mark.parametrize("m", decoder_models(), ids=["tiny", "release-arch", "tiny-d2", "decoder-v2"])
def test_decoder_streaming_and_causality(m):
    torch.manual_seed(3)
    zq = m.fsq.indices_to_codes(torch.randint(0, 64000, (1, 4, 4, 6)), dim=1)   # (1, 6, 4, 4, 6)
    with torch.no_grad():
        whole = m.decode(zq)
    for plan in ([1, 1, 1, 1], [1, 3], [2, 2], [4]):
        ds, outs, i = DecoderStream(m), [], 0
        for n in plan:
            outs.append(ds.feed(zq[:, :, i:i + n]))
            i += n
        # PyTorch picks conv algorithms by input length, so floats agree to rounding error, not bitwise
        # (the Swift engine runs one latent at a time and is bitwise; see Tests/VtokEngineTests).
        assert torch.allclose(torch.cat(outs, dim=2), whole, atol=1e-5, rtol=0)
    z2 = zq.clone()
    z2[:, :, 2:] = -z2[:, :, 2:]
    with torch.no_grad():
        other = m.decode(z2)
    assert torch.allclose(other[:, :, :5], whole[:, :, :5], atol=1e-5, rtol=0)   # frames of latents 0 and 1
    assert not torch.equal(other[:, :, 5:], whole[:, :, 5:])


def test_single_image_is_a_video():
    m = models()[0]
    x = torch.rand(1, 3, 1, 16, 16) * 2 - 1
    tok, cont = m.encode_tokens(x)
    assert tok.shape == (1, 1, 2, 2)
    assert m.decode(cont).shape == (1, 3, 1, 16, 16)
