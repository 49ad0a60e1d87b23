"""What the reader reports (docs/token-stream.md §4, §6)."""

from dataclasses import dataclass, field
from typing import Optional, Tuple

import numpy as np


class StreamError(Exception):
    """A stream problem, raised by `read_stream(..., strict=True)`."""


class UnsupportedVersion(StreamError):
    """A HEADER of a major version this reader does not implement (§7). Always raised."""

    def __init__(self, major, minor):
        super().__init__(f"unsupported token stream version {major}.{minor}")
        self.major, self.minor = major, minor


@dataclass(frozen=True)
class Header:
    """A HEADER packet (§4.1)."""
    version_major: int
    version_minor: int
    flags: int
    segment: int
    stream_id: bytes
    weights_sha256: bytes
    vocabulary_size: int
    temporal_factor: int
    spatial_factor: int
    latent_height: int
    latent_width: int
    source_size: Tuple[int, int]      # (width, height)
    model_size: Tuple[int, int]       # (width, height)
    frame_rate: Tuple[int, int]       # (num, den) frames per second; (0, 1) unknown
    time_base: Tuple[int, int]        # (num, den) seconds per pts tick
    levels: Tuple[int, ...]
    model_name: str
    encoder_sha256: Optional[bytes] = None   # 32 bytes from version 1.1 (all zero: unknown); None in a 1.0 stream

    LATENTS = 0x1

    @property
    def has_latents(self) -> bool:
        return bool(self.flags & Header.LATENTS)

    @property
    def channels(self) -> int:
        return len(self.levels)


@dataclass(eq=False)
class Tokens:
    """A TOKENS packet (§4.2): one latent frame."""
    latent_index: int                 # within the segment
    frame_index: int                  # first covered source frame, within the stream
    pts: Tuple[int, ...]              # one per covered source frame, in header.time_base
    tokens: np.ndarray                # uint16 [h, w]
    latents: Optional[np.ndarray]     # float32 [h, w, c] channels-last, or None
    header: Header = field(repr=False)
    sequence: int = 0

    @property
    def frame_count(self) -> int:
        return len(self.pts)


END_REASONS = {0: "endOfInput", 1: "inputError", 2: "limitExceeded", 3: "shutdown",
               4: "sourceChanged", 5: "encoderError", 6: "interrupted"}


@dataclass(frozen=True)
class End:
    """An END packet (§4.3)."""
    frames_in: int
    latent_frames_out: int
    reason: int
    message: str

    @property
    def reason_name(self) -> str:
        return END_REASONS.get(self.reason, f"reason {self.reason}")


@dataclass(frozen=True)
class Skipped:
    """Bytes skipped before the next valid packet, or a valid packet ignored (§6.1, §6.3).

    reason: the first cause, one of "badMagic", "headerCRCMismatch", "crcMismatch", "packetTooLarge",
    "truncated" (a candidate the input ended inside, §6.2), "malformed", "missingHeader"; detail says more
    (the sequence for crcMismatch, the rule for malformed).
    """
    bytes: int
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Discontinuity:
    """Packets were lost before packet `sequence` (§6.4); `missing` sequence numbers are absent."""
    sequence: int
    missing: int


@dataclass(frozen=True)
class UnknownPacket:
    """A valid packet of a type this version does not define, skipped (§4, §7)."""
    type: int
    sequence: int
    length: int


@dataclass(frozen=True)
class Truncated:
    """The input ended without END, or inside a packet (§6.2)."""
    trailing_bytes: int
