#!/usr/bin/env python3
"""Writes COUNT re-signed field mutants of a token stream (both CRCs recomputed, so each mutant reaches the
payload decoders): TOKENS fields (sequence, pts, latent_index, frame_count, frame_index, pts[0..1]) set to
extremes or random values, or a random byte of any other packet. For docs/reliability.md:

    python3 scripts/mutate_stream.py samples/sample.vtok out/mutants 1500 7
    for f in out/mutants/*.vtok; do .build/release/vtok info "$f" >/dev/null; echo $?; done | sort | uniq -c
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from vtok_stream.crc32c import crc32c  # noqa: E402


def main(src, out, count, seed):
    d = open(src, "rb").read()
    ps, at = [], 0
    while at + 32 <= len(d):
        (n,) = struct.unpack_from("<I", d, at + 24)
        ps.append(bytearray(d[at:at + 36 + n]))
        at += 36 + n
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    for k in range(count):
        q = [bytearray(p) for p in ps]
        p = q[rng.randrange(len(q))]
        if p[4] == 2:
            off, size = rng.choice([(8, 8), (16, 8), (32, 4), (36, 2), (40, 8), (48, 8), (56, 8)])
            bits = 8 * size
            val = rng.choice([0, 1, 2**bits - 1, 2**(bits - 1), 2**(bits - 1) - 1, rng.randrange(2**bits)])
            p[off:off + size] = val.to_bytes(size, "little")
            if off == 48 and rng.random() < .7:
                p[16:24] = p[48:56]          # keep the packet pts equal to pts[0] most of the time
        else:
            p[rng.randrange(8, len(p) - 4)] = rng.randrange(256)
        struct.pack_into("<I", p, 28, crc32c(bytes(p[:28])))
        struct.pack_into("<I", p, len(p) - 4, crc32c(bytes(p[:-4])))
        with open(os.path.join(out, f"m{k}.vtok"), "wb") as f:
            f.write(b"".join(q))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
