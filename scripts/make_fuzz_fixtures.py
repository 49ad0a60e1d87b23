#!/usr/bin/env python3
"""Writes the hand-made regression inputs of Tests/Fixtures/fuzz/ (issue 14's reproductions, each one a file the
FuzzRegression tests replay on every build, next to any crash a fuzzer finds; see scripts/fuzz.sh).

    python3 scripts/make_fuzz_fixtures.py
"""
import json
import pathlib
import struct
import sys

root = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "python"))
from vtok_stream.crc32c import crc32c  # noqa: E402

out = root / "Tests" / "Fixtures" / "fuzz"


def packets(data):
    at, ps = 0, []
    while at + 32 <= len(data):
        (length,) = struct.unpack_from("<I", data, at + 24)
        ps.append(bytearray(data[at:at + 36 + length]))
        at += 36 + length
    return ps


def resign(p):
    struct.pack_into("<I", p, 28, crc32c(bytes(p[:28])))
    struct.pack_into("<I", p, len(p) - 4, crc32c(bytes(p[:-4])))
    return p


def fake_header(length, seq=7):
    h = bytearray(b"\x8aVTK" + bytes([2, 0, 0, 0]) + struct.pack("<QqI", seq, 0, length))
    return bytes(h + struct.pack("<I", crc32c(bytes(h))))


basic = (root / "python/tests/data/basic.vtok").read_bytes()

# Stream inputs start with the fuzz target's control byte (chunk size, statistics on): 0x0B = chunk 4096, stats.
def stream(name, data):
    (out / "stream" / name).write_bytes(b"\x0b" + data)

ps = packets(basic)
p = bytearray(ps[1]); struct.pack_into("<Q", p, 8, 2**64 - 1)
stream("sequence-max.vtok", b"".join(bytes(x) for x in ps[:1] + [resign(p)] + ps[2:]))
stream("fake-claims.vtok", b"".join(fake_header(1 << 24, i) for i in range(64)) + basic)
p = bytearray(ps[1]); struct.pack_into("<q", p, 16, 2**63 - 1); struct.pack_into("<q", p, 32 + 16, 2**63 - 1)
q = bytearray(ps[2]); struct.pack_into("<q", q, 16, -2**63 + 1); struct.pack_into("<q", q, 32 + 16, -2**63 + 1)
stream("pts-extremes.vtok", b"".join(bytes(x) for x in ps[:1] + [resign(p), resign(q)] + ps[3:]))

# Weights: a header-only safetensors whose config has FSQ levels that trapped at load.
tiny = (root / "Tests/VtokEngineTests/Fixtures/tiny-model.safetensors").read_bytes()
(n,) = struct.unpack_from("<Q", tiny, 0)
config = json.loads(json.loads(tiny[8:8 + n])["__metadata__"]["vtok_config"])
for name, levels in [("levels-65536.safetensors", [65536]), ("levels-overflow.safetensors", [65536] * 4 + [2, 2])]:
    config["fsq_levels"] = levels
    header = json.dumps({"__metadata__": {"format": "vtok-weights", "vtok_config": json.dumps(config)}}).encode()
    (out / "safetensors" / name).write_bytes(struct.pack("<Q", len(header)) + header)

# Media inputs start with the control byte too: 0 = y4m, 1 = NUT.
(out / "media" / "huge.y4m").write_bytes(b"\x00YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(64))
(out / "media" / "zero-size.y4m").write_bytes(b"\x00YUV4MPEG2 W0 H0 F25:1 C420jpeg\nFRAME\n")
(out / "media" / "odd-1x1.y4m").write_bytes(b"\x00YUV4MPEG2 W1 H1 F0:0 C444\nFRAME\n\x10\x80\x80FRAME\n\x20")
print("wrote", sorted(str(f.relative_to(root)) for f in out.rglob("*") if f.is_file()))
