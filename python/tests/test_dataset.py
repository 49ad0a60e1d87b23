"""Windows of latent frames and the PyTorch Dataset + collate over them: batch_size > 1 stacks."""

import io

import numpy as np
import pytest

from helpers import TINY_MODEL, expected_tokens, fixture
from vtok_stream import ModelInfo, StreamWriter, windows, write_stream

torch = pytest.importorskip("torch")
from vtok_stream.dataset import TokenWindowDataset, collate_windows  # noqa: E402

TINY = ModelInfo.from_file(TINY_MODEL)


def stream(latent_frames, grid=(2, 3), continuous=False):
    """A stream whose latent frame l has every token = l (so windows are easy to read)."""
    tokens = np.stack([np.full(grid, l, np.uint16) for l in range(latent_frames)])
    latents = np.zeros(tokens.shape + (6,), np.float32) + np.arange(latent_frames)[:, None, None, None] / 100
    out = io.BytesIO()
    write_stream(out, tokens, model=TINY, latents=latents if continuous else None)
    return out.getvalue()


def firsts(ws):
    return [[int(t[0, 0]) if m else None for t, m in zip(w["tokens"], w["mask"])] for w in ws]


def test_windows_pad_the_remainder_and_mask_it():
    ws = list(windows(stream(7), 3))
    assert firsts(ws) == [[0, 1, 2], [3, 4, 5], [6, None, None]]
    assert ws[0]["tokens"].shape == (3, 2, 3) and ws[0]["tokens"].dtype == np.int64
    assert ws[2]["mask"].tolist() == [True, False, False]
    assert ws[0]["pts"][0].tolist() == [0, -2**63, -2**63, -2**63] and ws[0]["pts"][1].tolist() == [1, 2, 3, 4]


def test_windows_drop_the_remainder():
    assert firsts(windows(stream(7), 3, remainder="drop")) == [[0, 1, 2], [3, 4, 5]]
    assert firsts(windows(stream(2), 3, remainder="drop")) == []


def test_overlapping_and_sparse_strides():
    assert firsts(windows(stream(6), 3, stride=2)) == [[0, 1, 2], [2, 3, 4], [4, 5, None]]
    assert firsts(windows(stream(5), 3, stride=2, remainder="drop")) == [[0, 1, 2], [2, 3, 4]]
    assert firsts(windows(stream(5), 3, stride=1)) == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]   # nothing new to pad
    assert firsts(windows(stream(9), 2, stride=4)) == [[0, 1], [4, 5], [8, None]]


def test_windows_never_cross_a_segment_or_a_lost_latent_frame():
    ws = list(windows(fixture("segments.vtok"), 2))           # segment 0: 2 latent frames (2x2), segment 1: 2 (3x2)
    assert [(w["segment"], w["tokens"].shape, w["mask"].sum()) for w in ws] == [(0, (2, 2, 2), 2), (1, (2, 3, 2), 2)]
    np.testing.assert_array_equal(ws[1]["tokens"][1], expected_tokens(1, 3, 2))
    ws = list(windows(fixture("damaged.vtok"), 4))             # latent 1 is lost: 0 | 2 3
    assert [(w["latent_index"], int(w["mask"].sum())) for w in ws] == [(0, 1), (2, 2)]


def test_continuous_latents_in_windows():
    ws = list(windows(stream(3, continuous=True), 2, latents=True))
    assert ws[0]["latents"].shape == (2, 2, 3, 6) and ws[1]["latents"][1].tolist() == np.zeros((2, 3, 6)).tolist()
    np.testing.assert_allclose(ws[1]["latents"][0], 0.02)
    with pytest.raises(ValueError, match="continuous"):
        list(windows(stream(3), 2, latents=True))


@pytest.mark.parametrize("workers", [0, 2])
def test_dataloader_batches_of_8(tmp_path, workers):
    paths = []
    for i, n in enumerate([7, 1, 12, 4]):                      # streams of different lengths: the documented crash
        p = tmp_path / f"s{i}.vtok"
        p.write_bytes(stream(n))
        paths.append(str(p))
    ds = TokenWindowDataset(paths, window=4)
    loader = torch.utils.data.DataLoader(ds, batch_size=8, num_workers=workers, collate_fn=collate_windows)
    batches = list(loader)
    total = sum(b["tokens"].shape[0] for b in batches)
    assert total == 2 + 1 + 3 + 1
    assert all(b["tokens"].shape[1:] == (4, 2, 3) and b["tokens"].dtype == torch.int64 for b in batches)
    assert len(batches) == (1 if workers == 0 else 2)          # each worker batches its own share
    assert sum(int(b["mask"].sum()) for b in batches) == 7 + 1 + 12 + 4
    assert sorted(int(s) for b in batches for s in b["source"]) == [0, 0, 1, 2, 2, 2, 3]
    # the default collate stacks them too
    assert sum(b["tokens"].shape[0] for b in torch.utils.data.DataLoader(ds, batch_size=8)) == 7


def test_collate_names_the_sample_of_another_grid():
    a = next(iter(TokenWindowDataset([stream(4)], window=4)))
    b = next(iter(TokenWindowDataset([stream(4, grid=(3, 3))], window=4)))
    with pytest.raises(ValueError, match="sample 1 has tokens of shape"):
        collate_windows([a, b])
