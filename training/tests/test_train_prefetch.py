"""train.py --prefetch: batches drawn ahead on a thread are the same sequence as batches drawn in the loop, and a
failure while drawing reaches the training loop instead of hanging it."""
import numpy as np
import pytest

from train import Prefetcher


def test_prefetched_batches_are_the_loops_batches():
    def source(seed):
        rng = np.random.default_rng(seed)
        return lambda: (bool(rng.random() < 0.3), rng.integers(0, 255, size=(2, 3)))
    direct, ahead = source(7), Prefetcher(source(7), depth=3)
    for _ in range(20):
        a, b = direct(), ahead.next()
        assert a[0] == b[0] and np.array_equal(a[1], b[1])


def test_a_failing_draw_raises_in_the_loop():
    calls = []

    def draw():
        calls.append(1)
        if len(calls) == 3:
            raise OSError("pack unreadable")
        return len(calls)

    p = Prefetcher(draw, depth=2)
    assert [p.next(), p.next()] == [1, 2]
    with pytest.raises(OSError, match="pack unreadable"):
        p.next()
