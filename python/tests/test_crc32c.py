"""CRC-32C: the pure-Python and the google-crc32c implementations agree (docs/token-stream.md §2)."""

import os
import random

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
def test_reader_checks_every_packet_with_the_chosen_implementation(monkeypatch):
    """The reader's CRCs (header checks and the packet index) go through the module's choice, google-crc32c
    when it is installed; with the pure-Python one swapped in, the same events come out and every byte of an
    undamaged stream is checked once (speed itself is a benchmark's business, not a test's)."""
    from vtok_stream import crc_index, reader as reader_module
    assert reader_module.crc32c is crc32c_fast and crc_index.crc32c is crc32c_fast
    data = fixture("basic.vtok") * 60                         # 240 latent frames, 60 concatenated streams
    fast_events = list(read_stream(data))
    checked = []
    def counting(b, value=0):
        checked.append(len(b))
        return crc32c_python(b, value)
    monkeypatch.setattr(reader_module, "crc32c", counting)
    monkeypatch.setattr(crc_index, "crc32c", counting)
    slow_events = list(read_stream(data))
    assert sum(isinstance(e, Tokens) for e in fast_events) == 240
    assert [type(e) for e in slow_events] == [type(e) for e in fast_events]
    assert [e.tokens.tolist() for e in slow_events if isinstance(e, Tokens)] == \
        [e.tokens.tolist() for e in fast_events if isinstance(e, Tokens)]
    assert len(data) <= sum(checked) <= 2 * len(data)
