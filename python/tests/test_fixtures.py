"""The Swift-written reference streams (docs/token-stream.md §9) read by the Python reader."""

import io
import struct

import numpy as np

from helpers import expected_latents, expected_tokens, fixture
from vtok_stream import Discontinuity, End, Header, Skipped, Tokens, Truncated, UnknownPacket, crc32c, read_stream


def test_crc32c_vectors():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c(bytes(32)) == 0x8A9136AA
    assert crc32c(bytes(range(32))) == 0x46DD794E
    assert crc32c(b"6789", crc32c(b"12345")) == 0xE3069283


def test_basic():
    events = list(read_stream(fixture("basic.vtok")))
    assert [type(e) for e in events] == [Header, Tokens, Tokens, Tokens, Tokens, End]
    h = events[0]
    assert h.version_major == 1 and h.version_minor == 1      # 1.1: encoder_sha256 (all zero here)
    assert h.model_name == "vtok-test"
    assert h.weights_sha256 == bytes(range(32))
    assert h.stream_id == bytes(range(0xA0, 0xB0))
    assert h.levels == (8, 8, 8, 5, 5, 5) and h.vocabulary_size == 64000
    assert (h.temporal_factor, h.spatial_factor, h.latent_height, h.latent_width) == (4, 8, 4, 6)
    assert h.source_size == (640, 360) and h.model_size == (48, 32)
    assert h.frame_rate == (30000, 1001) and h.time_base == (1, 90000)
    assert not h.has_latents and h.segment == 0

    frames = events[1:5]
    assert [f.frame_count for f in frames] == [1, 4, 4, 2]
    assert [f.frame_index for f in frames] == [0, 1, 5, 9]
    assert [p for f in frames for p in f.pts] == [3003 * i + i * i for i in range(11)]
    for f in frames:
        assert f.tokens.dtype == np.uint16 and f.tokens.shape == (4, 6)
        np.testing.assert_array_equal(f.tokens, expected_tokens(f.latent_index, 4, 6))
        assert f.latents is None
    end = events[-1]
    assert (end.frames_in, end.latent_frames_out, end.reason_name, end.message) == (11, 4, "endOfInput", "ok")
    assert sum(f.frame_count for f in frames) == end.frames_in


def test_latents():
    events = list(read_stream(io.BytesIO(fixture("latents.vtok")), chunk_size=7))
    h = events[0]
    assert h.has_latents and h.model_name == "vtok-test-latents" and h.model_size == (24, 16)
    frames = [e for e in events if isinstance(e, Tokens)]
    assert [f.pts for f in frames] == [(1000,), (4003, 7006, 10009, 13012)]
    for f in frames:
        assert f.latents.dtype == np.float32 and f.latents.shape == (2, 3, 6)
        np.testing.assert_array_equal(f.latents, expected_latents(f.latent_index, 2, 3, 6))
        np.testing.assert_array_equal(f.tokens, expected_tokens(f.latent_index, 2, 3))
    assert events[-1] == End(5, 2, 2, "frame limit 5 reached")
    assert events[-1].reason_name == "limitExceeded"


def test_segments():
    events = list(read_stream(fixture("segments.vtok")))
    headers = [e for e in events if isinstance(e, Header)]
    assert [(x.segment, x.latent_height, x.latent_width, x.source_size) for x in headers] == [
        (0, 2, 2, (160, 120)), (1, 3, 2, (200, 300))]
    assert headers[1].model_size == (16, 24) and headers[1].time_base == (1, 1000)
    frames = [e for e in events if isinstance(e, Tokens)]
    assert [(f.latent_index, f.frame_index, f.pts) for f in frames] == [
        (0, 0, (0,)), (1, 1, (40, 80)), (0, 3, (120,)), (1, 4, (160, 200, 240, 280))]
    for f in frames:
        np.testing.assert_array_equal(f.tokens, expected_tokens(f.latent_index, *f.tokens.shape))
        assert f.header is headers[0 if f.frame_index < 3 else 1]
    assert UnknownPacket(64, 6, 4) in events
    assert events.index(Discontinuity(8, 0)) == len(events) - 3   # just before the last TOKENS
    assert events[-1] == End(8, 4, 3, "arrêt — shutdown")
    assert not any(isinstance(e, (Skipped, Truncated)) for e in events)


def test_damaged():
    """damaged.vtok (§9): the same events the Swift reader reports (StreamDamageTests)."""
    basic = fixture("basic.vtok")
    sizes, at = [], 0
    while at < len(basic):
        (n,) = struct.unpack_from("<I", basic, at + 24)
        sizes.append(36 + n)
        at += 36 + n
    events = list(read_stream(fixture("damaged.vtok")))
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Skipped", "Header", "Tokens", "Skipped", "Discontinuity", "Tokens", "Tokens", "Truncated"]
    assert events[0] == Skipped(7, "badMagic")
    assert events[3] == Skipped(sizes[2], "crcMismatch", "sequence 2")
    assert events[4] == Discontinuity(3, 1)
    assert [(e.latent_index, e.frame_index, e.pts) for e in events if isinstance(e, Tokens)] == [
        (0, 0, (0,)), (2, 5, tuple(3003 * i + i * i for i in range(5, 9))), (3, 9, (3003 * 9 + 81, 3003 * 10 + 100))]
    for e in events:
        if isinstance(e, Tokens):
            np.testing.assert_array_equal(e.tokens, expected_tokens(e.latent_index, 4, 6))
    assert events[-1] == Truncated(sizes[-1] - 5)
