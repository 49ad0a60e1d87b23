"""The writer (docs/token-stream.md §3-§5, version 1.1): what it writes, the reader reads back, field by field."""

import os
import hashlib
import io
import json
import struct

import numpy as np
import pytest

from helpers import RELEASE_MODEL, TINY_MODEL, fixture
from vtok_stream import (End, Header, ModelFileError, ModelInfo, Skipped, StreamWriter, Tokens, latents_from_tokens,
                         make_header, read_stream, tokens_from_latents, write_stream)
from vtok_stream.reader import _HEADER_FIXED
from vtok_stream.writer import encode_header, packet

TINY = ModelInfo.from_file(TINY_MODEL)


def safetensors_file(path, metadata):
    """A weights file with no tensors and the given metadata (what ModelInfo reads)."""
    body = json.dumps({"__metadata__": metadata}).encode()
    path.write_bytes(struct.pack("<Q", len(body)) + body)
    return str(path)


def config(**over):
    c = {"name": "m", "fsq_levels": [8, 8, 8, 5, 5, 5], "temporal_factor": 4, "spatial_factor": 8}
    c.update(over)
    return json.dumps(c)


def test_model_info_from_the_released_model():
    m = ModelInfo.from_file(RELEASE_MODEL)
    assert (m.name, m.levels, m.temporal_factor, m.spatial_factor) == ("vtok-4x8x8", (8, 8, 8, 5, 5, 5), 4, 8)
    assert m.vocabulary_size == 64000
    assert m.weights_sha256 == hashlib.sha256(open(RELEASE_MODEL, "rb").read()).digest()
    assert m.encoder_sha256 == bytes(32)                        # the file does not record one


def test_encoder_sha256_comes_from_the_metadata(tmp_path):
    enc = bytes(range(32))
    path = safetensors_file(tmp_path / "m.safetensors", {"vtok_config": config(), "vtok_encoder_sha256": enc.hex()})
    h = make_header(path, 2, 3)
    assert h.encoder_sha256 == enc and (h.version_major, h.version_minor) == (1, 1)
    ev = list(read_stream(packet(1, 0, -2**63, encode_header(h))))
    assert ev[0] == h and ev[0].encoder_sha256 == enc


@pytest.mark.parametrize("meta,match", [
    ({}, "no vtok_config"),
    ({"vtok_config": "{not json"}, "no vtok_config"),
    ({"vtok_config": json.dumps({"name": "x"})}, "lacks"),
    ({"vtok_config": config(fsq_levels=[1, 8])}, "out of range"),
    ({"vtok_config": config(fsq_levels=[256, 256, 2])}, "out of range"),
    ({"vtok_config": config(temporal_factor=0)}, "out of range"),
    ({"vtok_config": config(), "vtok_encoder_sha256": "abc"}, "64 hex"),
])
def test_bad_model_files_are_refused_with_a_reason(tmp_path, meta, match):
    with pytest.raises(ModelFileError, match=match):
        ModelInfo.from_file(safetensors_file(tmp_path / "m.safetensors", meta))


def test_not_a_safetensors_file(tmp_path):
    p = tmp_path / "junk"
    p.write_bytes(b"\xff" * 20)
    with pytest.raises(ModelFileError, match="header length"):
        ModelInfo.from_file(str(p))
    p.write_bytes(b"abc")
    with pytest.raises(ModelFileError, match="too short"):
        ModelInfo.from_file(str(p))


def test_round_trip_of_tokens_with_a_partial_last_group():
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, 64000, size=(5, 4, 6), dtype=np.uint16)        # (L, h, w)
    out = io.BytesIO()
    header, end = write_stream(out, tokens, model=TINY, frames=15, frame_rate=(30000, 1001), header_repeat=2,
                               source_size=(640, 360), stream_id=bytes(range(16)))
    events = list(read_stream(out.getvalue(), strict=True))
    assert events[0] == header and events[-1] == end == End(15, 5, 0, "")
    h = events[0]
    assert (h.version_major, h.version_minor, h.model_name, h.weights_sha256) == (1, 1, "vtok-tiny-test",
                                                                                 TINY.weights_sha256)
    assert (h.source_size, h.model_size, h.frame_rate, h.time_base) == ((640, 360), (48, 32), (30000, 1001),
                                                                        (1001, 30000))
    assert h.encoder_sha256 == bytes(32) and h.stream_id == bytes(range(16)) and not h.has_latents
    got = [e for e in events if isinstance(e, Tokens)]
    assert [t.frame_count for t in got] == [1, 4, 4, 4, 2]
    assert [t.frame_index for t in got] == [0, 1, 5, 9, 13]
    assert [p for t in got for p in t.pts] == list(range(15))
    np.testing.assert_array_equal(np.stack([t.tokens for t in got]), tokens)
    # Header repeated every 2 TOKENS (§5.2): sequences count every packet, no discontinuity in strict mode.
    assert [t.sequence for t in got] == [1, 2, 4, 5, 7]


def test_round_trip_of_latents_with_tokens_computed_from_them():
    rng = np.random.default_rng(2)
    tokens = rng.integers(0, 64000, size=(3, 2, 3))
    latents = latents_from_tokens(tokens, TINY.levels) + rng.uniform(-0.05, 0.05, (3, 2, 3, 6)).astype(np.float32)
    np.testing.assert_array_equal(tokens_from_latents(latents, TINY.levels), tokens)
    out = io.BytesIO()
    write_stream(out, model=TINY, latents=latents)
    got = [e for e in read_stream(out.getvalue(), strict=True) if isinstance(e, Tokens)]
    assert got[0].header.has_latents
    np.testing.assert_array_equal(np.stack([t.tokens for t in got]), tokens)
    np.testing.assert_array_equal(np.stack([t.latents for t in got]), latents)


def test_fsq_mapping_channel_zero_least_significant():
    levels = (8, 8, 8, 5, 5, 5)
    assert tokens_from_latents(np.array([[-1, -1, -1, -1, -1, -1]], np.float32), levels)[0] == 0
    codes = np.array([1, 0, 0, 0, 0, 0])              # channel 0 code 1: latent (1 - 4) / 4
    z = ((codes - np.array([4, 4, 4, 2, 2, 2])) / np.array([4, 4, 4, 2, 2, 2])).astype(np.float32)
    assert tokens_from_latents(z, levels) == 1
    assert tokens_from_latents(np.ones(6, np.float32) * 5, levels) == 63999      # clamped to the last code
    assert latents_from_tokens(63999, levels).tolist() == [0.75, 0.75, 0.75, 1.0, 1.0, 1.0]


def test_streams_writer_segments_and_end_reason_by_name():
    out = io.BytesIO()
    w = StreamWriter.for_model(out, TINY, 2, 2, frame_rate=(25, 1), header_repeat=0)
    w.write_tokens(np.zeros((2, 2), np.uint16))
    w.new_segment(latent_height=3, model_size=(16, 24))
    w.mark_discontinuity()
    w.write_tokens(np.ones((3, 2), np.uint16), pts=[100])
    end = w.close("interrupted", "stopped")
    events = list(read_stream(out.getvalue()))
    headers = [e for e in events if isinstance(e, Header)]
    assert [h.segment for h in headers] == [0, 1] and headers[1].latent_height == 3
    assert [(t.latent_index, t.frame_index, t.pts) for t in events if isinstance(t, Tokens)] == [(0, 0, (0,)),
                                                                                                (0, 1, (100,))]
    assert events[-1] == end and end.reason_name == "interrupted" and end.frames_in == 2


@pytest.mark.parametrize("call,match", [
    (lambda w: w.write_tokens(np.zeros((3, 3), np.uint16)), "shape"),
    (lambda w: w.write_tokens(np.full((2, 2), 64000)), "outside"),
    (lambda w: w.write_tokens(np.full((2, 2), -1)), "outside"),
    (lambda w: w.write_tokens(np.zeros((2, 2), np.float32)), "integers"),
    (lambda w: w.write_tokens(np.zeros((2, 2), np.uint16), frame_count=5), "frame_count"),
    (lambda w: w.write_tokens(np.zeros((2, 2), np.uint16), pts=[1, 2]), "pts"),
    (lambda w: w.write_tokens(np.zeros((2, 2), np.uint16), latents=np.zeros((2, 2, 6))), "LATENTS"),
    (lambda w: w.close("noSuchReason"), "noSuchReason"),
])
def test_writer_refuses_what_a_reader_would_refuse(call, match):
    w = StreamWriter.for_model(io.BytesIO(), TINY, 2, 2)
    with pytest.raises((ValueError, KeyError), match=match):
        call(w)


def test_write_stream_refuses_impossible_frame_counts_and_shapes():
    t = np.zeros((3, 2, 2), np.uint16)
    with pytest.raises(ValueError, match="cover 6..9"):
        write_stream(io.BytesIO(), t, model=TINY, frames=5)
    with pytest.raises(ValueError, match=r"\(L, h, w\)"):
        write_stream(io.BytesIO(), t[0], model=TINY)
    with pytest.raises(ValueError, match="time_base"):
        write_stream(io.BytesIO(), t, model=TINY, frame_rate=(0, 1))
    with pytest.raises(ValueError, match="header"):
        write_stream(io.BytesIO(), np.zeros((1, 70000, 1), np.uint16), model=TINY)


def test_version_1_0_streams_report_no_encoder_sha256():
    # samples/sample.vtok was written by vtok 1.0 (before the encoder identity) and is kept so.
    sample = os.path.join(os.path.dirname(__file__), "..", "..", "samples", "sample.vtok")
    headers = [e for e in read_stream(sample) if isinstance(e, Header)]
    assert headers[0].version_minor == 0 and headers[0].encoder_sha256 is None


def test_a_1_1_header_too_short_for_encoder_sha256_is_malformed():
    h = make_header(TINY, 2, 2)
    payload = encode_header(h)[:-1]
    events = list(read_stream(packet(1, 0, -2**63, payload)))
    assert isinstance(events[0], Skipped) and events[0].reason == "malformed" and "encoder_sha256" in events[0].detail


def test_a_1_1_header_layout_puts_encoder_sha256_right_after_the_model_name():
    h = make_header(TINY, 2, 2, stream_id=bytes(16))
    p = encode_header(h)
    name_end = _HEADER_FIXED.size + 2 * 6 + len("vtok-tiny-test")
    assert struct.unpack_from("<HH", p, 4) == (1, 1)
    assert len(p) == name_end + 32 and p[name_end - 14:name_end] == b"vtok-tiny-test"


def test_a_path_is_written_aside_and_renamed_only_when_complete(tmp_path):
    dest = tmp_path / "gen.vtok"
    with pytest.raises(ValueError):
        write_stream(str(dest), np.full((2, 2, 2), 64000), model=TINY)     # refused before anything is kept
    assert list(tmp_path.iterdir()) == []
    write_stream(dest, np.zeros((2, 2, 2), np.uint16), model=TINY)
    assert [p.name for p in tmp_path.iterdir()] == ["gen.vtok"]
    assert isinstance(list(read_stream(dest))[-1], End)
