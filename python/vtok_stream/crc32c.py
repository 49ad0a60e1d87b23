"""CRC-32C (Castagnoli), docs/token-stream.md §2: reflected polynomial 0x82F63B78, init and final XOR 0xFFFFFFFF."""

def _make_table():
    table = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_TABLE = _make_table()


def crc32c(data, value=0):
    """CRC-32C of `data` (bytes-like); pass a previous result as `value` to continue it."""
    crc = value ^ 0xFFFFFFFF
    table = _TABLE
    for b in memoryview(data).cast("B"):
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
