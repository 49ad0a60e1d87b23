"""Mutation fuzzing of the Python reader over the reference streams and the shipped sample (issue 14): bit flips,
cuts, insertions, deletions, duplicated packets and re-signed field mutations, read in random chunks. The reader
may only yield its documented events and raise its documented error (UnsupportedVersion, §7); every Tokens it
yields fits its header."""

import os
import random
import struct

import numpy as np

from helpers import DATA
from vtok_stream import (Discontinuity, End, Header, Skipped, StreamReader, Tokens, Truncated, UnknownPacket,
                         UnsupportedVersion, crc32c)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVENTS = (Header, Tokens, End, Skipped, Discontinuity, UnknownPacket)
MUTANTS = int(os.environ.get("VTOK_PY_MUTANTS", "600"))


def streams():
    names = sorted(f for f in os.listdir(DATA) if f.endswith(".vtok"))
    out = [open(os.path.join(DATA, n), "rb").read() for n in names]
    out.append(open(os.path.join(ROOT, "samples", "sample.vtok"), "rb").read()[:8000])   # its first packets
    return out


def packets(data):
    at, out = 0, []
    while at + 32 <= len(data):
        (length,) = struct.unpack_from("<I", data, at + 24)
        out.append(bytearray(data[at:at + 36 + length]))
        at += 36 + length
    return out


def resign(p):
    if len(p) < 36:
        return p
    struct.pack_into("<I", p, 28, crc32c(bytes(p[:28])))
    struct.pack_into("<I", p, len(p) - 4, crc32c(bytes(p[:-4])))
    return p


def mutate(data, rng):
    m = bytearray(data)
    kind = rng.randrange(7)
    if kind == 0:
        for _ in range(rng.randint(1, 4)):
            m[rng.randrange(len(m))] ^= 1 << rng.randrange(8)
    elif kind == 1:
        m = m[:rng.randrange(len(m))]
    elif kind == 2:
        at = rng.randrange(len(m))
        m[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == 3:
        at = rng.randrange(len(m))
        del m[at:at + rng.randint(1, 100)]
    elif kind == 4:
        ps = packets(data)
        i = rng.randrange(len(ps))
        ps.insert(rng.randrange(len(ps) + 1), ps[i])
        m = bytearray(b"".join(ps))
    else:
        # A re-signed mutation of a packet header or payload field: passes both CRCs, reaches the decoders.
        ps = packets(data)
        p = ps[rng.randrange(len(ps))]
        at = rng.randrange(8, len(p) - 4)
        p[at] = rng.randrange(256) if kind == 5 else rng.choice([0, 0xFF])
        if kind == 6 and at + 8 <= len(p) - 4:
            p[at:at + 8] = rng.choice([b"\xff" * 8, b"\x00" * 7 + b"\x80", b"\xff" * 7 + b"\x7f"])
        resign(p)
        m = bytearray(b"".join(ps))
    return bytes(m)


def read(data, rng):
    r = StreamReader()
    events, header = [], None
    i = 0
    ended = False
    while True:
        if i < len(data):
            n = rng.choice([1, 3, 64, 997, len(data)])
            r.feed(data[i:i + n])
            i += n
        elif not ended:
            r.end_input()
            ended = True
        while True:
            try:
                ev = r.next_event()
            except UnsupportedVersion:
                continue
            if ev is None:
                break
            assert isinstance(ev, EVENTS), type(ev)
            if isinstance(ev, Header):
                header = ev
            if isinstance(ev, Tokens):
                h = ev.header
                assert ev.tokens.dtype == np.uint16 and ev.tokens.shape == (h.latent_height, h.latent_width)
                assert int(ev.tokens.max(initial=0)) < h.vocabulary_size
                assert 1 <= len(ev.pts) <= h.temporal_factor
            events.append(ev)
        if ended:
            break
    end = r.finish()
    assert end is None or isinstance(end, Truncated)
    return events, header


def test_mutants_give_only_documented_events():
    rng = random.Random(14)
    bases = streams()
    kinds = {"tokens": 0, "skipped": 0}
    for k in range(MUTANTS):
        data = mutate(bases[k % len(bases)], rng)
        events, _ = read(data, rng)
        kinds["tokens"] += sum(isinstance(e, Tokens) for e in events)
        kinds["skipped"] += sum(isinstance(e, Skipped) for e in events)
    print(f"python reader: {MUTANTS} mutants, {kinds['tokens']} latent frames, {kinds['skipped']} skips")
    assert kinds["tokens"] > MUTANTS and kinds["skipped"] > MUTANTS // 10
