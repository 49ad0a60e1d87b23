"""CRCs of byte ranges of the reader's buffer in bounded work (docs/token-stream.md §6.1 "Work", §8).

After damage, packet candidates overlap: junk can hold a header with a valid header CRC every 4 bytes, each
claiming 16 MiB. Checking each candidate's packet CRC over its claimed length is quadratic in the junk. This
index keeps the running CRC-32C at a checkpoint every `STRIDE` bytes, so the CRC of any range costs at most
`2 * STRIDE` bytes read directly plus three shifts (`crc(P || M) = crc(P) * x^(8|M|) xor crc(M)` modulo the
polynomial), however many overlapping ranges are asked for.

A range that starts past every byte checked so far (the normal case: one valid packet after another) is
checked directly, without checkpoints, so an undamaged stream costs one CRC pass as before; checkpoints are
made only where ranges overlap. Work in bytes of CRC (`checksummed_bytes`): direct ranges never overlap (each
byte once), checkpoints cover each byte once, and an overlapping range reads at most `2 * STRIDE` more.
"""

from array import array

from .crc32c import crc32c

STRIDE = 64
_POLY = 0x82F63B78                    # reflected CRC-32C polynomial (§2)


def _multmodp(a, b):
    """a * b modulo the polynomial, both in reflected bit order (x^0 is the top bit)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if a & (m - 1) == 0:
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _x2n_table():
    table, p = [], 1 << 30            # x^1
    for _ in range(64):
        table.append(p)               # x^(2^k)
        p = _multmodp(p, p)
    return table


_X2N = _x2n_table()


def shift(crc, length):
    """crc * x^(8 * length) modulo the polynomial: `crc(P)` moved past `length` zero bytes' worth of message,
    so that crc(P || M) = shift(crc(P), len(M)) ^ crc(M) for finalised CRC-32C values (init = xorout)."""
    n, k, p = length, 3, 1 << 31      # x^(8n) = x^(n * 2^3); 1 << 31 is x^0
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 63], p)
        n >>= 1
        k += 1
    return _multmodp(p, crc)


def combine(crc_a, crc_b, length_b):
    """CRC-32C of A || B from crc(A), crc(B) and len(B)."""
    return shift(crc_a, length_b) ^ crc_b


class CRCIndex:
    """CRC-32C of ranges of a buffer addressed by absolute offsets (bytes since the start of input), so the
    reader may drop consumed bytes from its buffer's front: call `trim(origin)` when it does."""

    def __init__(self):
        self.checksummed_bytes = 0    # bytes read to compute CRCs (§8 "resync work")
        self._base = 0                # absolute offset of checkpoint 0
        self._checkpoints = array("I")  # [k] = CRC-32C of input[c0 : base + k*STRIDE] for a fixed c0 <= base
        self._checked = 0             # absolute end of the furthest range asked for so far

    def trim(self, origin):
        """Bytes before absolute offset `origin` are gone from the buffer; drop the checkpoints there."""
        n = (origin - self._base) // STRIDE
        if self._checkpoints and n > 0:
            n = min(n, len(self._checkpoints) - 1)      # keep the last one: it continues the running CRC
            del self._checkpoints[:n]
            self._base += n * STRIDE

    def checksum(self, buf, origin, a, b):
        """CRC-32C of input[a:b], absolute offsets; `buf` holds the input from absolute offset `origin`."""
        with memoryview(buf) as view:
            if a >= self._checked or b - a <= 2 * STRIDE:
                self._checked = max(self._checked, b)
                self.checksummed_bytes += b - a
                return crc32c(bytes(view[a - origin:b - origin]))
            cps = self._checkpoints
            if not cps or a < self._base or self._base + (len(cps) - 1) * STRIDE < a:
                # No checkpoint at or after a that the buffer still reaches: start them at a.
                self._base, self._checkpoints = a, array("I", [0])
            ka = -(-(a - self._base) // STRIDE)         # first checkpoint at or after a
            kb = (b - self._base) // STRIDE             # last checkpoint at or before b; kb > ka as b - a > 2 STRIDE
            self._extend(view, origin, kb)
            self._checked = max(self._checked, b)
            lo, hi = self._base + ka * STRIDE, self._base + kb * STRIDE
            middle = self._checkpoints[kb] ^ shift(self._checkpoints[ka], hi - lo)
            head = crc32c(bytes(view[a - origin:lo - origin]))
            tail = crc32c(bytes(view[hi - origin:b - origin]))
            self.checksummed_bytes += (lo - a) + (b - hi)
            return combine(combine(head, middle, hi - lo), tail, b - hi)

    def _extend(self, view, origin, k):
        cps = self._checkpoints
        crc = crc32c
        at = self._base + (len(cps) - 1) * STRIDE - origin
        running = cps[-1]
        added = 0
        while len(cps) <= k:
            running = crc(bytes(view[at:at + STRIDE]), running)
            cps.append(running)
            at += STRIDE
            added += 1
        self.checksummed_bytes += added * STRIDE
