"""What a stream header needs from a model file (docs/token-stream.md §4.1), read with the standard library.

A vtok weights file is safetensors: an 8-byte little-endian header length, then that many bytes of JSON whose
`__metadata__` object holds `vtok_config` (a JSON string: name, fsq_levels, temporal_factor, spatial_factor) and,
when the export recorded it, `vtok_encoder_sha256` (hex: the identity of the encoder + quantiser, §4.1 v1.1).
The model's identity in a stream is the SHA-256 of the whole file.
"""

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from typing import Tuple

MAX_JSON_HEADER = 100 * 1024 * 1024   # safetensors' own limit on the JSON header


class ModelFileError(ValueError):
    """The file is not a vtok safetensors weights file (or says something out of range)."""


@dataclass(frozen=True)
class ModelInfo:
    name: str                          # e.g. "vtok-4x8x8"
    levels: Tuple[int, ...]            # FSQ levels, (c,)
    temporal_factor: int               # T
    spatial_factor: int                # S
    weights_sha256: bytes              # 32 bytes: SHA-256 of the file
    encoder_sha256: bytes              # 32 bytes, all zero when the file does not say

    @property
    def vocabulary_size(self) -> int:
        v = 1
        for l in self.levels:
            v *= l
        return v

    @classmethod
    def from_file(cls, path) -> "ModelInfo":
        with open(path, "rb") as f:
            raw = f.read(8)
            if len(raw) < 8:
                raise ModelFileError(f"{path}: too short for a safetensors file")
            (n,) = struct.unpack("<Q", raw)
            if n > MAX_JSON_HEADER or n > os.fstat(f.fileno()).st_size - 8:
                raise ModelFileError(f"{path}: safetensors header length {n} out of range")
            try:
                meta = json.loads(f.read(n)).get("__metadata__") or {}
                config = json.loads(meta["vtok_config"])
            except (ValueError, KeyError, AttributeError, TypeError):
                raise ModelFileError(f"{path}: no vtok_config in the safetensors metadata") from None
            f.seek(0)
            digest = hashlib.sha256()
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        try:
            levels = tuple(int(l) for l in config["fsq_levels"])
            t, s = int(config["temporal_factor"]), int(config["spatial_factor"])
            name = str(config.get("name", ""))
        except (KeyError, TypeError, ValueError):
            raise ModelFileError(f"{path}: vtok_config lacks fsq_levels, temporal_factor or spatial_factor") from None
        encoder = bytes(32)
        hex_id = meta.get("vtok_encoder_sha256")
        if hex_id is not None:
            try:
                encoder = bytes.fromhex(hex_id)
            except (TypeError, ValueError):
                encoder = b""
            if len(encoder) != 32:
                raise ModelFileError(f"{path}: vtok_encoder_sha256 is not 64 hex digits")
        info = cls(name, levels, t, s, digest.digest(), encoder)
        if not 1 <= len(levels) <= 16 or any(not 2 <= l <= 65535 for l in levels) or info.vocabulary_size > 65536:
            raise ModelFileError(f"{path}: FSQ levels {levels} out of range (1..16 levels, product <= 65536)")
        if not 1 <= t <= 256 or s < 1 or len(name.encode()) > 255:
            raise ModelFileError(f"{path}: temporal factor, spatial factor or name out of range")
        return info
