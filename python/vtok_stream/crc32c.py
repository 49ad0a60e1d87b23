"""CRC-32C (Castagnoli), docs/token-stream.md §2: reflected polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF.

`crc32c` is google-crc32c's C implementation (hardware CRC instructions) when that package is installed
(`pip install 'vtok-stream[fast]'`), else `crc32c_python`, the table-driven pure-Python one. Both give the
same values (tests/test_crc32c.py checks them against each other). `IMPLEMENTATION` names the one in use.
Set VTOK_STREAM_PURE_CRC=1 in the environment to force the pure-Python one.
"""

import os


def _make_table():
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_TABLE = _make_table()


def crc32c_python(data, value=0):
    """CRC-32C of `data` (bytes-like) in pure Python; pass a previous result as `value` to continue it."""
    crc = value ^ 0xFFFFFFFF
    table = _TABLE
    for b in memoryview(data).cast("B"):
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _load_fast():
    if os.environ.get("VTOK_STREAM_PURE_CRC"):
        return None
    try:
        import google_crc32c
    except ImportError:
        return None
    if getattr(google_crc32c, "implementation", "c") != "c":
        return None                   # its own pure-Python fallback is no faster than ours
    extend = google_crc32c.extend

    def crc32c_fast(data, value=0):
        """CRC-32C of `data` (bytes-like) through google-crc32c; pass a previous result as `value`."""
        # google_crc32c's C function takes bytes (a buffer that needs no release), not a memoryview.
        if not isinstance(data, bytes):
            data = bytes(data)
        return extend(value, data)

    return crc32c_fast


crc32c_fast = _load_fast()
crc32c = crc32c_fast or crc32c_python
IMPLEMENTATION = "google-crc32c" if crc32c_fast else "python"
