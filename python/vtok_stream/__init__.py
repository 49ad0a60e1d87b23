"""Reader and writer for the vtok token stream, format version 1.1 (docs/token-stream.md).

numpy is the only dependency; vtok_stream.dataset (PyTorch) and google-crc32c (fast CRC) are optional.
"""

from .crc32c import IMPLEMENTATION as CRC32C_IMPLEMENTATION
from .crc32c import crc32c, crc32c_python
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
from .fsq import latents_from_tokens, tokens_from_latents
from .model import ModelFileError, ModelInfo
from .reader import StreamReader, read_stream
from .windows import windows
from .writer import StreamWriter, encode_header, make_header, write_stream


def _version():
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:               # Python < 3.8
        return "0+unknown"
    try:
        return version("vtok-stream")
    except PackageNotFoundError:      # run from a source tree that is not installed
        return "0+unknown"


__version__ = _version()

__all__ = [
    "__version__", "crc32c", "crc32c_python", "CRC32C_IMPLEMENTATION", "read_stream", "StreamReader",
    "Header", "Tokens", "End", "Skipped", "Discontinuity", "UnknownPacket", "Truncated",
    "StreamError", "UnsupportedVersion",
    "StreamWriter", "make_header", "encode_header", "write_stream",
    "ModelInfo", "ModelFileError", "tokens_from_latents", "latents_from_tokens", "windows",
]
