"""Resynchronisation in bounded work and memory (docs/token-stream.md §6.1 "Work", §6.2, §8), issue 14.

Work is counted in bytes handed to the CRC function, through a counting stand-in for it that fails as soon
as the count passes the bound: a reader that checks each candidate's CRC over its claimed length (quadratic
in the junk) fails within the first hundred candidates instead of running for minutes. No wall-clock asserts.
"""

import importlib
import os
import random
import struct

import numpy as np
import pytest

from helpers import key, packet_spans
from vtok_stream import Header, Skipped, StreamReader, Tokens, Truncated, crc32c, read_stream
from vtok_stream.crc_index import CRCIndex, STRIDE, combine

SYNC = b"\x8aVTK"
MAX_PAYLOAD = 16 * 1024 * 1024
BOUND = 41                            # bytes of CRC per byte of input (§8)
SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "sample.vtok")


def fake_header(length, sequence=0):
    """A packet header with a valid header CRC that claims `length` payload bytes (its packet CRC is wrong)."""
    head = SYNC + struct.pack("<BBHQqI", 2, 0, 0, sequence, 0, length)
    return head + struct.pack("<I", crc32c(head))


def sample():
    with open(SAMPLE, "rb") as f:
        return f.read()


def garbage(n, rng):
    """n random bytes with a sync every 61 bytes (candidates whose header CRC fails) and, every 4099 bytes,
    a header with a valid CRC claiming up to 1 MiB (candidates that reach the packet CRC)."""
    g = bytearray(np.random.default_rng(rng.randrange(2**32)).integers(0, 256, n, dtype=np.uint8).tobytes())
    for at in range(0, n - 4, 61):
        g[at:at + 4] = SYNC
    for at in range(7, n - 32, 4099):
        g[at:at + 32] = fake_header(rng.randrange(1, 1 << 20), sequence=at)
    return bytes(g)


class CountingCRC:
    """Stands in for crc32c in the reader's modules: counts the bytes and fails past `limit`."""

    def __init__(self, limit):
        self.limit, self.bytes = limit, 0

    def __call__(self, data, value=0):
        self.bytes += len(data)
        assert self.bytes <= self.limit, f"CRC work passed {self.limit} bytes: resync is not linear"
        return crc32c(data, value)


@pytest.fixture
def counted(monkeypatch):
    def install(limit):
        counter = CountingCRC(limit)
        for name in ("vtok_stream.reader", "vtok_stream.crc_index"):
            monkeypatch.setattr(importlib.import_module(name), "crc32c", counter)
        return counter
    return install


def events_of(data, chunk=1 << 16):
    r = StreamReader()
    out, peak = [], 0
    for i in range(0, len(data), chunk):
        r.feed(data[i:i + chunk])
        peak = max(peak, r.buffered)
        while (ev := r.next_event()) is not None:
            out.append(ev)
    r.end_input()
    while (ev := r.next_event()) is not None:
        out.append(ev)
    return out, r.finish(), r, peak


def good(events):
    return [key(e) for e in events if isinstance(e, (Header, Tokens)) or type(e).__name__ == "End"]


def test_megabytes_of_hostile_junk_cost_linear_crc_work_and_lose_no_packet(counted):
    """2,000 fake headers claiming 16 MiB, 48 bytes apart, then half the sample, 4 MB of junk full of candidates,
    the rest of the sample and 13 MiB of zeros (18.0 MB): every packet of the sample is found, within 41 bytes of
    CRC per byte (measured: about 2 per byte), with a buffer of about one maximal packet.
    A reader that checks each candidate over its claimed length needs about 2,000 x 16 MiB = 33 GB of CRC here."""
    rng = random.Random(14)
    s = sample()
    spans = packet_spans(s)
    half = spans[len(spans) // 2][0]
    fakes = b"".join(fake_header(MAX_PAYLOAD, i) + bytes(range(i % 200, i % 200 + 16)) for i in range(2000))
    data = fakes + s[:half] + garbage(4 << 20, rng) + s[half:] + bytes(13 << 20)
    assert len(data) > 17_900_000

    counter = counted(BOUND * len(data))
    events, end, reader, peak = events_of(data)
    work = counter.bytes

    assert good(events) == good(list(read_stream(s)))
    skips = [e for e in events if isinstance(e, Skipped)]
    assert [e.reason for e in skips] == ["crcMismatch", "headerCRCMismatch"]
    assert sum(e.bytes for e in skips) == len(fakes) + (4 << 20)
    assert end == Truncated(13 << 20)
    assert work == reader.checksummed_bytes <= BOUND * len(data)
    assert reader.checksummed_bytes < 3 * len(data)           # in practice
    assert peak <= 2 * (36 + MAX_PAYLOAD + (1 << 16))        # one packet (+ the consumed half before a compaction)


def test_a_claim_past_the_end_of_input_does_not_hide_the_packets_after_it(counted):
    """§6.2: one valid-CRC header claiming 16 MiB before a 53 KB stream. Before: nothing but Truncated."""
    s = sample()
    counted(BOUND * (len(s) + 32))
    events = list(read_stream(fake_header(MAX_PAYLOAD) + s))
    assert events[0] == Skipped(32, "truncated", f"claims {MAX_PAYLOAD} bytes past the end")
    assert good(events[1:]) == good(list(read_stream(s)))
    assert not any(isinstance(e, Truncated) for e in events)   # complete: END came last, nothing after


def test_a_stream_cut_inside_its_last_packet_reports_the_cut_bytes():
    s = sample()
    last_start = packet_spans(s)[-1][0]
    events = list(read_stream(s[:last_start + 10]))
    assert events[-1] == Truncated(10)
    assert good(events) == good(list(read_stream(s)))[:-1]     # all but END


def test_undamaged_stream_costs_one_crc_pass():
    s = sample()
    _, end, reader, _ = events_of(s, chunk=997)
    assert end is None
    n_packets = len(packet_spans(s))
    assert reader.checksummed_bytes == len(s) + 24 * n_packets  # 28 of header + 32+length of packet each: no index


def test_index_gives_the_crc_of_any_range():
    rng = random.Random(3)
    buf = bytearray(np.random.default_rng(5).integers(0, 256, 300_000, dtype=np.uint8).tobytes())
    index, origin, a = CRCIndex(), 0, 0
    for _ in range(3000):
        a += rng.randrange(0, 90)
        b = min(len(buf) + origin, a + rng.choice([0, 1, 63, 64, 129, 5000, 70_000]))
        assert index.checksum(buf, origin, a, b) == crc32c(bytes(buf[a - origin:b - origin]))
        if a - origin > 50_000:                       # drop the front, as the reader does
            cut = a - origin - 1000
            del buf[:cut]
            origin += cut
            index.trim(origin)
            buf += np.random.default_rng(a).integers(0, 256, cut, dtype=np.uint8).tobytes()
    assert index.checksummed_bytes <= (2 * STRIDE + 2) * 3000 + 2 * (len(buf) + origin)


def test_combine_matches_the_crc_of_the_concatenation():
    rng = random.Random(9)
    for n, m in [(0, 0), (1, 0), (0, 1), (5, 64), (1000, 777), (3, 1 << 16)]:
        a, b = rng.randbytes(n), rng.randbytes(m)
        assert combine(crc32c(a), crc32c(b), m) == crc32c(a + b)
