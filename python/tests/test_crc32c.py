"""CRC-32C: the pure-Python and the google-crc32c implementations agree (docs/token-stream.md §2)."""

import os
import random
import time

import pytest

from helpers import fixture

from vtok_stream import read_stream, Tokens
from vtok_stream.crc32c import IMPLEMENTATION, crc32c, crc32c_fast, crc32c_python

needs_fast = pytest.mark.skipif(crc32c_fast is None and not os.environ.get("CI"),
                                reason="google-crc32c is not installed (pip install 'vtok-stream[fast]')")


@pytest.mark.parametrize("impl", [crc32c_python, crc32c])
def test_check_values(impl):
    assert impl(b"123456789") == 0xE3069283
    assert impl(b"") == 0
    assert impl(bytes(32)) == 0x8A9136AA                     # RFC 3720 B.4: 32 bytes of zeros
    assert impl(b"\xff" * 32) == 0x62A8AB43                  # RFC 3720 B.4: 32 bytes of 0xFF


@needs_fast
def test_fast_is_used_and_agrees_with_pure_python():
    assert crc32c_fast is not None and IMPLEMENTATION == "google-crc32c"
    rng = random.Random(7)
    for n in [0, 1, 3, 4, 7, 8, 15, 16, 31, 32, 33, 255, 1000, 4099]:
        data = bytes(rng.getrandbits(8) for _ in range(n))
        assert crc32c_fast(data) == crc32c_python(data), n
        assert crc32c_fast(bytearray(data)) == crc32c_python(data)
        assert crc32c_fast(memoryview(bytearray(data))[1:]) == crc32c_python(data[1:])
        cut = n // 3
        assert crc32c_fast(data[cut:], crc32c_fast(data[:cut])) == crc32c_python(data)
        assert crc32c_python(data[cut:], crc32c_python(data[:cut])) == crc32c_python(data)


@needs_fast
def test_fast_crc_makes_reading_faster(monkeypatch):
    """The reader with google-crc32c against the same reader with the pure-Python CRC, on the same bytes."""
    from vtok_stream import reader as reader_module
    data = fixture("basic.vtok") * 60                         # 240 latent frames, 60 concatenated streams
    def timed():
        t = time.perf_counter()
        n = sum(isinstance(e, Tokens) for e in read_stream(data))
        return n, time.perf_counter() - t
    n_fast, fast = min(timed() for _ in range(3))
    monkeypatch.setattr(reader_module, "crc32c", crc32c_python)
    n_slow, slow = min(timed() for _ in range(3))
    assert n_fast == n_slow == 240
    assert fast < slow
