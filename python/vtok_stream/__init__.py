"""Reader and writer for the vtok token stream, format version 1.1 (docs/token-stream.md).

numpy is the only dependency; vtok_stream.dataset (PyTorch) and google-crc32c (fast CRC) are optional.
The engine binding (vtok_stream.engine: Tokenizer, EncoderStream, DecoderStream, ...) is re-exported here
lazily: `from vtok_stream import Tokenizer` imports it on first use, and importing vtok_stream never needs
libvtokc.so (the library is loaded when a Tokenizer is made).
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

_ENGINE_NAMES = (
    "Tokenizer", "EncoderStream", "DecoderStream", "find_library", "find_model", "VtokError",
    "LibraryNotFoundError", "ModelError", "EngineValueError", "SessionStateError", "SessionClosedError",
    "SessionBusyError", "BackendError",
)


def __getattr__(name):                # PEP 562: the engine is imported on first use only
    if name in _ENGINE_NAMES or name == "engine":
        import importlib

        engine = importlib.import_module(".engine", __name__)
        return engine if name == "engine" else getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ENGINE_NAMES) | {"engine"})

__all__ = [
    "__version__", "crc32c", "crc32c_python", "CRC32C_IMPLEMENTATION", "read_stream", "StreamReader",
    "Header", "Tokens", "End", "Skipped", "Discontinuity", "UnknownPacket", "Truncated",
    "StreamError", "UnsupportedVersion",
    "StreamWriter", "make_header", "encode_header", "write_stream",
    "ModelInfo", "ModelFileError", "tokens_from_latents", "latents_from_tokens", "windows",
    *_ENGINE_NAMES,
]
