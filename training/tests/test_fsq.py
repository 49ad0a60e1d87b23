import torch

from vtok_model import FSQ


def fsq():
    return FSQ([8, 8, 8, 5, 5, 5])


def test_vocab_and_index_range():
    q = fsq()
    assert q.vocab_size == 64000
    z = torch.randn(4, 6, 3, 5, 7) * 10                     # extreme values saturate the bound
    idx = q.tokens(z)
    assert idx.shape == (4, 3, 5, 7)
    assert idx.min() >= 0 and idx.max() < 64000


def test_bound_range_and_levels():
    q = fsq()
    z = torch.linspace(-20, 20, 4001).view(1, 1, -1).expand(1, 6, -1).contiguous()
    codes = torch.round(q.bound(z)) + q.half_width.view(1, -1, 1)
    for c, level in enumerate([8, 8, 8, 5, 5, 5]):
        used = torch.unique(codes[0, c]).tolist()
        assert used == list(range(level)), (c, used)


def test_index_round_trip_all_codes():
    q = fsq()
    idx = torch.arange(64000).view(1, 64000)
    codes = q.indices_to_codes(idx, dim=1)                   # (1, 6, 64000)
    assert codes.abs().max() <= 1
    back = q.codes_to_indices(codes, dim=1)
    assert torch.equal(back, idx)


def test_quantize_matches_tokens():
    q = fsq()
    z = torch.randn(2, 6, 4, 4, 4) * 2
    assert torch.equal(q.codes_to_indices(q.quantize(z)), q.tokens(z))


def test_straight_through_gradient():
    q = fsq()
    z = (torch.randn(2, 6, 3, 3, 3) * 0.5).requires_grad_()
    q.quantize(z).sum().backward()
    # d/dz of bound(z)/half_width: nonzero wherever tanh is not saturated; rounding passes gradient through
    expected = (1 - torch.tanh(z.detach() + q.shift.view(1, -1, 1, 1, 1)) ** 2) * (q.half_l / q.half_width).view(1, -1, 1, 1, 1)
    assert torch.allclose(z.grad, expected, atol=1e-6)
    assert (z.grad > 0).all()


def test_continuous_is_unrounded_and_bounded():
    q = fsq()
    z = torch.randn(1, 6, 2, 3, 3)
    c = q.continuous(z)
    assert c.abs().max() <= 1
    assert not torch.equal(c, q.quantize(z))
