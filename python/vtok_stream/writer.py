"""The writer: token arrays -> a token stream, docs/token-stream.md §3 (framing), §4 (payloads), §5 (order).

Writes format version 1.1: the HEADER carries encoder_sha256 after model_name (§4.1). A stream written for a
model file (`StreamWriter.for_model`) has that file's SHA-256 and levels, so `vtok decode --model FILE` accepts it.
"""

import os
import struct
from typing import Optional, Sequence, Tuple

import numpy as np

from .crc32c import crc32c
from .events import End, Header
from .fsq import tokens_from_latents
from .model import ModelInfo
from .reader import (END, FLAG_DISCONTINUITY, HEADER, HEADER_MAGIC, MAX_PAYLOAD, SYNC, TOKENS, _END_FIXED,
                     _HEADER_FIXED, _PACKET, _TOKENS_FIXED)

VERSION = (1, 1)                      # what this writer writes (§7)
NOPTS = -(2 ** 63)                    # §2
FLAG_REPEATED = 0x02                  # §3.1
END_REASONS = {"endOfInput": 0, "inputError": 1, "limitExceeded": 2, "shutdown": 3, "sourceChanged": 4,
               "encoderError": 5, "interrupted": 6}

__all__ = ["StreamWriter", "make_header", "encode_header", "write_stream", "VERSION"]


def packet(ptype, sequence, pts, payload, flags=0):
    """One framed packet (§3): 32-byte header with its CRC, payload, packet CRC."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes is over the {MAX_PAYLOAD}-byte limit (§8)")
    head = _PACKET.pack(SYNC, ptype, flags, 0, sequence, pts, len(payload))
    head += struct.pack("<I", crc32c(head))
    body = head + payload
    return body + struct.pack("<I", crc32c(body))


def encode_header(h: Header) -> bytes:
    """The HEADER payload of `h` (§4.1); version 1.1 adds encoder_sha256 (zeros when h has none)."""
    name = h.model_name.encode("utf-8")
    fixed = _HEADER_FIXED.pack(
        HEADER_MAGIC, h.version_major, h.version_minor, h.flags, h.segment, h.stream_id, h.weights_sha256,
        h.vocabulary_size, h.temporal_factor, h.spatial_factor, h.latent_height, h.latent_width,
        h.source_size[0], h.source_size[1], h.model_size[0], h.model_size[1], h.frame_rate[0], h.frame_rate[1],
        h.time_base[0], h.time_base[1], len(h.levels), len(name))
    out = fixed + struct.pack(f"<{len(h.levels)}H", *h.levels) + name
    if (h.version_major, h.version_minor) >= (1, 1):
        out += h.encoder_sha256 if h.encoder_sha256 is not None else bytes(32)
    return out


def make_header(model, latent_height, latent_width, *, frame_rate=(25, 1), time_base=None, source_size=None,
                continuous=False, stream_id=None, segment=0) -> Header:
    """A version 1.1 HEADER for `model` (a path to a weights file, or a ModelInfo) and a latent grid (h, w).

    frame_rate: (num, den) frames per second, (0, 1) if unknown. time_base: (num, den) seconds per pts tick;
    default one tick per frame (den/num of the frame rate). source_size: (width, height) of the frames before
    scaling; default the model size (w*S, h*S). stream_id: 16 bytes, default random.
    """
    info = model if isinstance(model, ModelInfo) else ModelInfo.from_file(model)
    s = info.spatial_factor
    if time_base is None:
        if frame_rate[0] < 1:
            raise ValueError("an unknown frame rate needs an explicit time_base")
        time_base = (frame_rate[1], frame_rate[0])
    model_size = (latent_width * s, latent_height * s)
    h = Header(VERSION[0], VERSION[1], Header.LATENTS if continuous else 0, segment,
               bytes(stream_id) if stream_id is not None else os.urandom(16), info.weights_sha256,
               info.vocabulary_size, info.temporal_factor, s, latent_height, latent_width,
               tuple(source_size) if source_size is not None else model_size, model_size, tuple(frame_rate),
               tuple(time_base), info.levels, info.name, info.encoder_sha256)
    _check_header(h)
    return h


def _check_header(h: Header):
    """The rules of §4.1 a reader enforces, so a writer never writes a header that will be refused."""
    from .reader import _Malformed, _decode_header
    if len(h.stream_id) != 16 or len(h.weights_sha256) != 32:
        raise ValueError("stream_id is 16 bytes and weights_sha256 32")
    if h.encoder_sha256 is not None and len(h.encoder_sha256) != 32:
        raise ValueError("encoder_sha256 is 32 bytes")
    try:
        _decode_header(encode_header(h))
    except _Malformed as e:
        raise ValueError(f"header out of range: {e}") from None
    except struct.error as e:
        raise ValueError(f"header field out of range: {e}") from None


class StreamWriter:
    """Writes one token stream to a binary file object: write_tokens() per latent frame, then close().

    Each packet is written and flushed as it is made (§5.1). The header is repeated every `header_repeat`
    TOKENS packets (§5.2; 0: never). Frame counts and pts follow the encoder's rule (§4.2) unless given:
    latent 0 covers 1 frame, later ones T; pts = frame index in a time base of one tick per frame.
    """

    def __init__(self, out, header: Header, header_repeat: int = 32):
        _check_header(header)
        self.out, self.header, self.header_repeat = out, header, header_repeat
        self._payload = encode_header(header)
        self.sequence = 0
        self.latent_index = 0          # within the segment
        self.frame_index = 0           # within the stream
        self.latents_out = 0
        self._since_header = 0
        self._next_flags = 0
        self._pts_step = None
        self.closed = False
        self._emit(HEADER, NOPTS, self._payload)

    @classmethod
    def for_model(cls, out, model, latent_height, latent_width, header_repeat=32, **header_options):
        """A writer for `model` (path or ModelInfo); options as make_header."""
        return cls(out, make_header(model, latent_height, latent_width, **header_options), header_repeat)

    def _emit(self, ptype, pts, payload, flags=0):
        self.out.write(packet(ptype, self.sequence, pts, payload, flags | self._next_flags))
        self._next_flags = 0
        self.sequence += 1
        flush = getattr(self.out, "flush", None)
        if flush is not None:
            flush()

    def mark_discontinuity(self):
        """Sets the DISCONTINUITY flag (§3.1) on the next packet: the caller dropped latent frames."""
        self._next_flags |= FLAG_DISCONTINUITY

    def new_segment(self, **header_changes):
        """Starts a new segment (§5.3) with a header that differs by `header_changes` (e.g. latent_height,
        latent_width, model_size, source_size); segment + 1, latent_index restarts at 0."""
        if self.closed:
            raise ValueError("the stream is closed")
        from dataclasses import replace
        h = replace(self.header, segment=self.header.segment + 1, **header_changes)
        _check_header(h)
        self.header, self._payload = h, encode_header(h)
        self.latent_index, self._since_header = 0, 0
        self._emit(HEADER, NOPTS, self._payload)

    def _default_pts(self, n):
        h = self.header
        # One tick per frame when the time base is the frame period; else the frame period in ticks, if whole.
        if self._pts_step is None:
            fr_num, fr_den = h.frame_rate
            tb_num, tb_den = h.time_base
            if fr_num < 1 or (fr_den * tb_den) % (fr_num * tb_num):
                raise ValueError("pts are needed: the frame period is not a whole number of time-base ticks")
            self._pts_step = (fr_den * tb_den) // (fr_num * tb_num)
        return tuple((self.frame_index + i) * self._pts_step for i in range(n))

    def write_tokens(self, tokens, latents=None, frame_count: Optional[int] = None,
                     pts: Optional[Sequence[int]] = None):
        """One latent frame: tokens (h, w) integer < vocabulary_size; latents (h, w, c) float32 when the header
        has LATENTS. frame_count: source frames covered, default 1 for latent 0 and T after; pts: one per frame."""
        if self.closed:
            raise ValueError("the stream is closed")
        h = self.header
        grid = (h.latent_height, h.latent_width)
        t = np.asarray(tokens)
        if t.shape != grid:
            raise ValueError(f"tokens of shape {t.shape}, the header's grid is {grid}")
        if not np.issubdtype(t.dtype, np.integer):
            raise ValueError(f"tokens are integers, not {t.dtype}")
        if t.size and (int(t.min()) < 0 or int(t.max()) >= h.vocabulary_size):
            raise ValueError(f"token outside 0..{h.vocabulary_size - 1}")
        n = frame_count if frame_count is not None else (1 if self.latent_index == 0 else h.temporal_factor)
        if not 1 <= n <= h.temporal_factor:
            raise ValueError(f"frame_count {n} not in 1..{h.temporal_factor}")
        pts = tuple(int(p) for p in pts) if pts is not None else self._default_pts(n)
        if len(pts) != n:
            raise ValueError(f"{len(pts)} pts for {n} frames")
        body = [_TOKENS_FIXED.pack(self.latent_index, n, 0, self.frame_index), struct.pack(f"<{n}q", *pts),
                t.astype("<u2").tobytes()]
        if h.has_latents:
            if latents is None:
                raise ValueError("the header has LATENTS: every TOKENS needs latents (h, w, c)")
            z = np.asarray(latents, dtype="<f4")
            if z.shape != grid + (h.channels,):
                raise ValueError(f"latents of shape {z.shape}, expected {grid + (h.channels,)}")
            body.append(z.tobytes())
        elif latents is not None:
            raise ValueError("latents given but the header has no LATENTS flag (make_header(continuous=True))")
        if self.header_repeat and self._since_header >= self.header_repeat:
            self._emit(HEADER, NOPTS, self._payload, FLAG_REPEATED)
            self._since_header = 0
        self._emit(TOKENS, pts[0], b"".join(body))
        self._since_header += 1
        self.latent_index += 1
        self.frame_index += n
        self.latents_out += 1

    def close(self, reason=0, message="") -> End:
        """Writes END (§4.3) with the counts so far; reason: a number or a name ("endOfInput", ...)."""
        if self.closed:
            raise ValueError("the stream is closed")
        code = END_REASONS[reason] if isinstance(reason, str) else int(reason)
        m = message.encode("utf-8")
        if len(m) > 4096 or not 0 <= code <= 255:
            raise ValueError("END message over 4096 bytes, or reason not in 0..255")
        self._emit(END, NOPTS, _END_FIXED.pack(self.frame_index, self.latents_out, code, 0, len(m)) + m)
        self.closed = True
        return End(self.frame_index, self.latents_out, code, message)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self.closed:
            self.close() if exc_type is None else self.close("encoderError", f"{exc_type.__name__}: {exc}"[:4096])
        return False


def _frame_counts(latent_frames, t, frames):
    """Frames per latent frame: 1, T, T, ..., and the last one partial when `frames` says so (§4.2)."""
    full = 1 + t * (latent_frames - 1) if latent_frames else 0
    if frames is None:
        frames = full
    low = 1 + t * (latent_frames - 2) + 1 if latent_frames > 1 else latent_frames
    if not low <= frames <= full:
        raise ValueError(f"{latent_frames} latent frames cover {low}..{full} source frames, not {frames}")
    counts = [1] + [t] * (latent_frames - 1) if latent_frames else []
    if latent_frames > 1:
        counts[-1] = frames - 1 - t * (latent_frames - 2)
    return counts


def write_stream(dest, tokens=None, *, model, latents=None, frames=None, header_repeat=32,
                 **header_options) -> Tuple[Header, End]:
    """Writes a whole stream for `model` (a weights file path or ModelInfo) to `dest` (a path, written under
    `dest + ".partial"` and renamed when complete, or a binary file object): tokens (L, h, w) uint16, and/or continuous latents (L, h, w, c) float32 (tokens computed from them
    when not given; written in every TOKENS packet). frames: source frames in all (default 1 + T*(L-1), the last
    latent frame may cover fewer). Other options as make_header (frame_rate, time_base, source_size, stream_id).
    Returns (header, end).
    """
    info = model if isinstance(model, ModelInfo) else ModelInfo.from_file(model)
    if tokens is None and latents is None:
        raise ValueError("write_stream needs tokens (L, h, w) or latents (L, h, w, c)")
    if latents is not None:
        latents = np.asarray(latents, dtype=np.float32)
        if latents.ndim != 4:
            raise ValueError(f"latents are (L, h, w, c), not of shape {latents.shape}")
        if tokens is None:
            tokens = tokens_from_latents(latents, info.levels)
    tokens = np.asarray(tokens)
    if tokens.ndim != 3:
        raise ValueError(f"tokens are (L, h, w), not of shape {tokens.shape}")
    if latents is not None and latents.shape[:3] != tokens.shape:
        raise ValueError(f"latents {latents.shape} and tokens {tokens.shape} disagree")
    counts = _frame_counts(tokens.shape[0], info.temporal_factor, frames)
    header = make_header(info, tokens.shape[1], tokens.shape[2], continuous=latents is not None, **header_options)

    def run(out):
        w = StreamWriter(out, header, header_repeat)
        for i, n in enumerate(counts):
            w.write_tokens(tokens[i], None if latents is None else latents[i], frame_count=n)
        return w.close()

    if isinstance(dest, (str, os.PathLike)):
        # Written aside and renamed when END is written: a failure never leaves a stream that looks complete.
        temp = os.fspath(dest) + ".partial"
        try:
            with open(temp, "wb") as f:
                end = run(f)
            os.replace(temp, dest)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    else:
        end = run(dest)
    return header, end
