"""Damaged, cut, late-joined and hostile input (docs/token-stream.md §6), mirroring the Swift tests."""

import random
import struct

import pytest

from helpers import expected_tokens, fixture, key, packet_spans, read_chunked
from vtok_stream import (Discontinuity, End, Header, Skipped, StreamError, StreamReader, Tokens, Truncated,
                         UnsupportedVersion, crc32c, read_stream)

SYNC = b"\x8aVTK"


def packet(ptype, sequence, pts, payload, flags=0):
    head = SYNC + struct.pack("<BBHQqI", ptype, flags, 0, sequence, pts, len(payload))
    head += struct.pack("<I", crc32c(head))
    body = head + payload
    return body + struct.pack("<I", crc32c(body))


def test_truncation():
    data = fixture("basic.vtok")
    pk = packet_spans(data)
    events = list(read_stream(data[:pk[-1][0]]))
    assert sum(isinstance(e, Tokens) for e in events) == 4
    assert events[-1] == Truncated(0)
    cut = data[:pk[-1][0] - 10]
    events = list(read_stream(cut))
    assert sum(isinstance(e, Tokens) for e in events) == 3
    assert events[-1] == Truncated(pk[-2][1] - 10)
    with pytest.raises(StreamError):
        list(read_stream(cut, strict=True))


def test_corrupted_byte_skips_one_packet_and_resynchronises():
    data = bytearray(fixture("basic.vtok"))
    pk = packet_spans(data)
    t1_at, t1_len = pk[2]                          # second TOKENS, sequence 2
    data[t1_at + 32 + 16 + 32 + 5] ^= 0x10
    events = list(read_stream(bytes(data)))
    assert events[2] == Skipped(t1_len, "crcMismatch", "sequence 2")
    assert events[3] == Discontinuity(3, 1)
    frames = [e for e in events if isinstance(e, Tokens)]
    assert [f.latent_index for f in frames] == [0, 2, 3]
    for f in frames:
        assert (f.tokens == expected_tokens(f.latent_index, 4, 6)).all()
    assert isinstance(events[-1], End)


def test_garbage_prefix_and_mid_stream_join():
    data = fixture("basic.vtok")
    garbage = b"hello \x8aVT" + SYNC + b"\x01\x02"
    events = list(read_stream(garbage + data))
    assert events[0] == Skipped(len(garbage), "badMagic")
    assert sum(isinstance(e, Tokens) for e in events) == 4

    pk = packet_spans(data)
    joined = data[pk[1][0] + pk[1][1] - 20:]        # the last 20 bytes of TOKENS 0, then TOKENS 1, ...
    events = list(read_stream(joined))
    assert events[0] == Skipped(20, "badMagic")
    assert events[1] == Skipped(pk[2][1], "missingHeader")
    assert isinstance(events[2], Header)                # the repeated header
    assert [e.latent_index for e in events if isinstance(e, Tokens)] == [2, 3]
    assert isinstance(events[-1], End)


def test_unknown_type_and_over_limit_length():
    data = fixture("basic.vtok")
    pk = packet_spans(data)
    header = data[:pk[0][1]]
    odd = packet(77, 1, 0, b"future")
    rest = data[pk[0][1]:]
    events = list(read_stream(header + odd + rest))
    assert events[1].type == 77 and events[1].length == 6
    assert events[2] == Discontinuity(1, 0)        # T0 repeats sequence 1

    fake = SYNC + struct.pack("<BBHQqI", 2, 0, 0, 0, 0, 0xFFFFFFFF)
    fake += struct.pack("<I", crc32c(fake))
    r = StreamReader()
    r.feed(fake + data)
    assert r.next_event() == Skipped(32, "packetTooLarge", "length 4294967295")
    assert isinstance(r.next_event(), Header)      # not waiting for 4 GiB


def test_unsupported_major_version_raises():
    data = bytearray(fixture("basic.vtok"))
    pk = packet_spans(data)
    head = bytearray(data[:pk[0][1]])
    head[32 + 4:32 + 6] = struct.pack("<H", 2)
    payload = bytes(head[32:-4])
    with pytest.raises(UnsupportedVersion):
        list(read_stream(packet(1, 0, -2**63, payload)))


def test_any_chunking_gives_the_same_events():
    for name in ["basic.vtok", "latents.vtok", "segments.vtok"]:
        data = fixture(name)
        whole = read_chunked(data, [len(data)])
        assert read_chunked(data, [1]) == whole
        assert read_chunked(data, [3, 31, 7, 64]) == whole


def test_fuzz_never_crashes():
    rng = random.Random(0x5EED)
    sources = [fixture(n) for n in ["basic.vtok", "latents.vtok", "segments.vtok"]]
    for round_ in range(300):
        data = bytearray(sources[round_ % 3])
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(max(len(data), 1))
            op = rng.randrange(5)
            if op == 0 and data:
                data[at] ^= 1 << rng.randrange(8)
            elif op == 1:
                del data[at:]
            elif op == 2:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
            elif op == 3:
                del data[at:at + rng.randrange(50)]
            else:
                data[at:at] = data[at:at + 80]
        data = bytes(data)
        whole = read_chunked(data, [len(data) or 1])
        assert read_chunked(data, [rng.randint(1, 13), rng.randint(1, 97)]) == whole, round_
