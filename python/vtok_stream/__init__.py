"""Reader for the vtok token stream, format version 1 (docs/token-stream.md)."""

from .crc32c import crc32c
from .events import (
    Discontinuity,
    End,
    Header,
    Skipped,
    StreamError,
    Tokens,
    Truncated,
    UnknownPacket,
    UnsupportedVersion,
)
from .reader import StreamReader, read_stream

__all__ = [
    "crc32c", "read_stream", "StreamReader",
    "Header", "Tokens", "End", "Skipped", "Discontinuity", "UnknownPacket", "Truncated",
    "StreamError", "UnsupportedVersion",
]
