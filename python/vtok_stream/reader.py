"""The incremental reader: docs/token-stream.md §3 (framing), §4 (payloads), §6 (reading)."""

import os
import socket
import stat
import struct

import numpy as np

from .crc32c import crc32c
from .crc_index import CRCIndex
from .events import (Discontinuity, End, Header, Skipped, StreamError, Tokens, Truncated, UnknownPacket,
                     UnsupportedVersion)

SYNC = b"\x8aVTK"                     # §3
HEADER_MAGIC = b"VTOK"                # §4.1
VERSION_MAJOR = 1                     # §7
PACKET_HEADER = 32                    # §3
OVERHEAD = 36                         # packet header + trailer CRC
MAX_PAYLOAD = 16 * 1024 * 1024        # §8
HEADER, TOKENS, END = 1, 2, 3         # §4
FLAG_DISCONTINUITY = 0x01             # §3.1

_PACKET = struct.Struct("<4sBBHQqI")  # sync, type, flags, reserved, sequence, pts, length (28 bytes)
_HEADER_FIXED = struct.Struct("<4sHHII16s32sIHHHHIIIIIIIIBB")  # §4.1, 110 bytes
_TOKENS_FIXED = struct.Struct("<IHHQ")                          # §4.2, 16 bytes
_END_FIXED = struct.Struct("<QQBBH")                            # §4.3, 20 bytes


class _Malformed(Exception):
    pass


def _decode_header(p):
    """§4.1. Raises UnsupportedVersion or _Malformed."""
    if len(p) < _HEADER_FIXED.size:
        raise _Malformed("payload too short for the header")
    (magic, major, minor, flags, segment, stream_id, sha, vocab, t, s, h, w, sw, sh, mw, mh,
     fr_num, fr_den, tb_num, tb_den, level_count, name_len) = _HEADER_FIXED.unpack_from(p, 0)
    if magic != HEADER_MAGIC:
        raise _Malformed("bad header magic")
    if major != VERSION_MAJOR:
        raise UnsupportedVersion(major, minor)
    end = _HEADER_FIXED.size + 2 * level_count + name_len
    if len(p) < end:
        raise _Malformed("payload too short for levels and model name")
    levels = struct.unpack_from(f"<{level_count}H", p, _HEADER_FIXED.size)
    try:
        name = bytes(p[end - name_len:end]).decode("utf-8")
    except UnicodeDecodeError:
        raise _Malformed("model name is not UTF-8") from None
    encoder_sha256 = None             # 1.0: the field does not exist
    if minor >= 1:                    # 1.1 adds it right after model_name
        if len(p) < end + 32:
            raise _Malformed("payload too short for encoder_sha256 (version 1.1)")
        encoder_sha256 = bytes(p[end:end + 32])
    if not 1 <= level_count <= 16 or any(l < 2 for l in levels):
        raise _Malformed("1..16 FSQ levels, each 2..65535")
    product = 1
    for l in levels:
        product *= l
    if product > 65536 or product != vocab:
        raise _Malformed(f"vocabulary_size {vocab} is not the product of the levels, or over 65536")
    if not 1 <= t <= 256 or s < 1 or h < 1 or w < 1:
        raise _Malformed("temporal factor, spatial factor or latent grid out of range")
    if (mw, mh) != (w * s, h * s):
        raise _Malformed("model size is not the latent grid times the spatial factor")
    if sw < 1 or sh < 1 or fr_den < 1 or tb_num < 1 or tb_den < 1:
        raise _Malformed("source size, frame rate or time base out of range")
    full = _TOKENS_FIXED.size + 8 * t + 2 * h * w + (4 * h * w * level_count if flags & Header.LATENTS else 0)
    if full > MAX_PAYLOAD:
        raise _Malformed("a TOKENS packet would exceed the 16 MiB payload limit")
    return Header(major, minor, flags, segment, bytes(stream_id), bytes(sha), vocab, t, s, h, w, (sw, sh),
                  (mw, mh), (fr_num, fr_den), (tb_num, tb_den), tuple(levels), name, encoder_sha256)


def _decode_tokens(p, packet_pts, header, sequence):
    """§4.2, against the current header. Raises _Malformed."""
    if len(p) < _TOKENS_FIXED.size:
        raise _Malformed("payload too short for TOKENS")
    latent_index, n, _reserved, frame_index = _TOKENS_FIXED.unpack_from(p, 0)
    if not 1 <= n <= header.temporal_factor:
        raise _Malformed(f"frame count {n} not in 1..{header.temporal_factor}")
    if frame_index > 2**63 - 1 - n:
        raise _Malformed("frame index out of range")
    h, w, c = header.latent_height, header.latent_width, header.channels
    at = _TOKENS_FIXED.size
    need = at + 8 * n + 2 * h * w + (4 * h * w * c if header.has_latents else 0)
    if len(p) < need:
        raise _Malformed("payload too short for TOKENS")
    pts = struct.unpack_from(f"<{n}q", p, at)
    if pts[0] != packet_pts:
        raise _Malformed("packet pts is not the first frame's pts")
    at += 8 * n
    tokens = np.frombuffer(p, dtype="<u2", count=h * w, offset=at).astype(np.uint16).reshape(h, w)
    if tokens.size and int(tokens.max()) >= header.vocabulary_size:
        raise _Malformed("token outside the vocabulary")
    at += 2 * h * w
    latents = None
    if header.has_latents:
        latents = np.frombuffer(p, dtype="<f4", count=h * w * c, offset=at).astype(np.float32).reshape(h, w, c)
    return Tokens(latent_index, frame_index, pts, tokens, latents, header, sequence)


def _decode_end(p):
    """§4.3. Raises _Malformed."""
    if len(p) < _END_FIXED.size:
        raise _Malformed("payload too short for END")
    frames_in, latents_out, reason, _reserved, m = _END_FIXED.unpack_from(p, 0)
    if m > 4096 or len(p) < _END_FIXED.size + m:
        raise _Malformed("bad message length")
    if frames_in > 2**63 - 1 or latents_out > 2**63 - 1:
        raise _Malformed("counts out of range")
    try:
        message = bytes(p[_END_FIXED.size:_END_FIXED.size + m]).decode("utf-8")
    except UnicodeDecodeError:
        raise _Malformed("message is not UTF-8") from None
    return End(frames_in, latents_out, reason, message)


class StreamReader:
    """Incremental reader: feed(bytes) any number of times, take events with next_event() until None; at end
    of input call end_input(), take the last events with next_event() until None, then finish().
    Damage is reported as Skipped and reading goes on (§6.1).

    Work and memory are bounded whatever the bytes are: at most 41 bytes of CRC per byte fed
    (`checksummed_bytes`, §8 "resync work"), and a buffer of one packet (at most 36 + MAX_PAYLOAD bytes) plus
    the unread part of the last chunk. end_input() makes a candidate whose claimed packet runs past the end
    invalid (§6.2), so a header claiming more bytes than the input has does not hide the packets after it."""

    def __init__(self):
        self.header = None            # the current Header
        self._buf = bytearray()
        self._origin = 0              # absolute input offset of _buf[0]
        self._pos = 0
        self._skipped = 0
        self._skip_reason = None      # (reason, detail) of the first skip since the last valid packet
        self._header_payload = None
        self._stream_id = None
        self._last_sequence = None
        self._last_was_end = False
        self._pending = []
        self._crcs = CRCIndex()
        self._header_crc_bytes = 0
        self._candidate = None        # (absolute offset, packet header fields) of a candidate awaiting its bytes
        self._ended = False

    @property
    def checksummed_bytes(self):
        """Bytes read to compute CRCs so far (packet headers, whole packets, checkpoints): at most 41 per byte
        fed (a candidate starts at a sync, at most one per 4 bytes, and costs 28 bytes of header CRC plus at
        most 128 read directly; whole packets and checkpoints read each byte at most once each)."""
        return self._crcs.checksummed_bytes + self._header_crc_bytes

    @property
    def buffered(self):
        """Bytes held in the buffer (consumed ones included until the next feed releases them)."""
        return len(self._buf)

    def feed(self, data):
        if self._ended:
            raise ValueError("feed() after end_input()")
        if self._pos and self._pos >= len(self._buf) // 2:
            del self._buf[:self._pos]
            self._origin += self._pos
            self._pos = 0
            self._crcs.trim(self._origin)
        self._buf += data

    def end_input(self):
        """No more bytes will come: candidates that would need more are invalid (§6.2). Take the remaining
        events with next_event() afterwards, then call finish()."""
        self._ended = True

    def next_event(self):
        """The next event, or None when more input is needed. Raises UnsupportedVersion (§7)."""
        while True:
            if self._pending:
                ev = self._pending.pop(0)
                if isinstance(ev, Exception):
                    raise ev
                return ev
            found = self._find_packet()
            if found is None:
                return None
            self._handle(*found)

    def finish(self):
        """None when the stream is complete (§6.2), else Truncated(trailing_bytes). Ends the input if
        end_input() was not called; the events that this finds stay queued for next_event()."""
        if not self._ended:
            self._ended = True
            while True:
                found = self._find_packet()
                if found is None:
                    break
                self._handle(*found)
        trailing = self._skipped + len(self._buf) - self._pos
        return None if trailing == 0 and self._last_was_end else Truncated(trailing)

    # §6.1
    def _skip(self, count, reason, detail=""):
        if self._skipped == 0:
            self._skip_reason = (reason, detail)
        self._skipped += count
        self._pos += count

    def _find_packet(self):
        buf = self._buf
        while True:
            # Step 1: the next sync bytes (bytes.find: each byte looked at once).
            i = buf.find(SYNC, self._pos)
            if i < 0:
                keep = 0 if self._ended else min(3, len(buf) - self._pos)
                if len(buf) - keep > self._pos:
                    self._skip(len(buf) - keep - self._pos, "badMagic")
                return None
            if i > self._pos:
                self._skip(i - self._pos, "badMagic")
            start = self._pos
            at = self._origin + start
            # Step 2: the packet header, checked once per candidate (not again while its bytes arrive).
            if self._candidate is not None and self._candidate[0] == at:
                fields = self._candidate[1]
            else:
                self._candidate = None
                if len(buf) - start < PACKET_HEADER:
                    if not self._ended:
                        return None
                    self._skip(1, "truncated", f"{len(buf) - start} bytes left")    # can never be whole (§6.2)
                    continue
                self._header_crc_bytes += 28
                if crc32c(bytes(buf[start:start + 28])) != int.from_bytes(buf[start + 28:start + 32], "little"):
                    self._skip(1, "headerCRCMismatch")
                    continue
                fields = _PACKET.unpack_from(buf, start)
                self._candidate = (at, fields)
            _sync, ptype, flags, _res, sequence, pts, length = fields
            if length > MAX_PAYLOAD:
                self._candidate = None
                self._skip(1, "packetTooLarge", f"length {length}")
                continue
            # Step 3: the whole packet and its CRC, from the index (bounded work however candidates overlap).
            end = start + PACKET_HEADER + length
            if len(buf) < end + 4:
                if not self._ended:
                    return None
                self._candidate = None
                self._skip(1, "truncated", f"claims {length} bytes past the end")     # can never be whole (§6.2)
                continue
            self._candidate = None
            if self._crcs.checksum(buf, self._origin, at, self._origin + end) != int.from_bytes(buf[end:end + 4], "little"):
                self._skip(1, "crcMismatch", f"sequence {sequence}")
                continue
            return ptype, flags, sequence, pts, bytes(buf[start + PACKET_HEADER:end])

    # §6.3, §6.4
    def _handle(self, ptype, flags, sequence, pts, payload):
        total = OVERHEAD + len(payload)
        self._pos += total
        if self._skipped:
            reason, detail = self._skip_reason
            self._pending.append(Skipped(self._skipped, reason, detail))
            self._skipped, self._skip_reason = 0, None

        event, starts_stream = None, False
        if ptype == HEADER:
            if payload != self._header_payload:
                try:
                    h = _decode_header(payload)
                    starts_stream = h.stream_id != self._stream_id
                    self._stream_id = h.stream_id
                    self.header, self._header_payload = h, payload
                    event = h
                except UnsupportedVersion as e:
                    self.header = self._header_payload = None
                    event = e
                except _Malformed as e:
                    self.header = self._header_payload = None
                    event = Skipped(total, "malformed", str(e))
        elif ptype == TOKENS:
            if self.header is None:
                event = Skipped(total, "missingHeader")
            else:
                try:
                    event = _decode_tokens(payload, pts, self.header, sequence)
                except _Malformed as e:
                    event = Skipped(total, "malformed", str(e))
        elif ptype == END:
            try:
                event = _decode_end(payload)
            except _Malformed as e:
                event = Skipped(total, "malformed", str(e))
        else:
            event = UnknownPacket(ptype, sequence, len(payload))

        expected = None if starts_stream or self._last_sequence is None else (self._last_sequence + 1) % 2**64
        if flags & FLAG_DISCONTINUITY or (expected is not None and sequence != expected):
            missing = sequence - expected if expected is not None and sequence > expected else 0
            self._pending.append(Discontinuity(sequence, missing))
        if event is not None:
            self._pending.append(event)

        self._last_sequence, self._last_was_end = sequence, False
        if isinstance(event, End):
            self._last_was_end = True
            self._last_sequence = self._stream_id = self.header = self._header_payload = None


def _chunks(source, chunk_size):
    """The bytes of `source` in chunks as they arrive. Yields (chunk) and closes what it opened."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        # In chunks, so the reader's buffer stays bounded (one packet) however large the input is.
        view = memoryview(source).cast("B")
        for i in range(0, len(view), chunk_size):
            yield view[i:i + chunk_size]
        return
    if isinstance(source, (str, os.PathLike)):
        try:
            is_socket = stat.S_ISSOCK(os.stat(source).st_mode)
        except OSError:
            is_socket = False                 # open() below says what is wrong
        if is_socket:                         # a Unix socket such as `vtok serve --source`'s: connect and read
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(os.fspath(source))
                yield from _chunks(s, chunk_size)
            return
        with open(source, "rb") as f:
            yield from _chunks(f, chunk_size)
        return
    if isinstance(source, socket.socket):
        # recv returns what has arrived: a live stream's latent frames come out as they arrive.
        while True:
            chunk = source.recv(chunk_size)
            if not chunk:
                return
            yield chunk
    read = getattr(source, "read1", None) or getattr(source, "read", None)
    if read is None:
        raise TypeError(f"read_stream takes a path, bytes, a binary file object or a socket, not {type(source).__name__}")
    # read1 returns what is there (one raw read) instead of waiting for chunk_size bytes: a live socket's
    # latent frames come out as they arrive.
    while True:
        chunk = read(chunk_size)
        if not chunk:
            return
        if isinstance(chunk, str):
            raise TypeError("read_stream needs a binary file object (open the file with 'rb')")
        yield chunk


def read_stream(source, strict=False, chunk_size=1 << 16):
    """Yields the events of a token stream: Header, Tokens, End, and the diagnostics Skipped,
    Discontinuity, UnknownPacket, and a final Truncated when the input ends early (§6).

    source: a path (str or os.PathLike, opened and closed here; a Unix socket's path is connected to), bytes-like, a binary file object (anything
    with .read; a socket's makefile("rb") works), or a connected socket.socket (read with recv).
    strict: raise StreamError instead of yielding Skipped, Discontinuity or Truncated.
    """
    reader = StreamReader()

    def drain():
        while True:
            ev = reader.next_event()
            if ev is None:
                return
            if strict and isinstance(ev, (Skipped, Discontinuity)):
                raise StreamError(f"{ev}")
            yield ev

    for chunk in _chunks(source, chunk_size):
        reader.feed(chunk)
        yield from drain()
    reader.end_input()
    yield from drain()
    truncated = reader.finish()
    if truncated is not None:
        if strict:
            raise StreamError(f"{truncated}")
        yield truncated
