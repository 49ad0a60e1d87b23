"""The engine in-process (vtok_stream.engine over libvtokc.so) against the `vtok` CLI on the same frames.

Needs the library (scripts/test.sh builds it; VTOK_LIBRARY, else .build/release/libvtokc.so) and, for the parity
tests, the release binary and ffmpeg. Outside CI a missing library or binary skips; in CI (CI set) it fails.
"""

import hashlib
import os
import shutil
import subprocess
import threading
import time

import numpy as np
import pytest

from vtok_stream import Header, Tokens, read_stream
from vtok_stream import engine
from vtok_stream.engine import (EngineValueError, ModelError, SessionBusyError, SessionClosedError,
                                SessionStateError, Tokenizer)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TINY_MODEL = os.path.join(ROOT, "Tests", "VtokEngineTests", "Fixtures", "tiny-model.safetensors")
MODEL = os.path.join(ROOT, "models", "vtok-4x8x8.safetensors")
SAMPLE = os.path.join(ROOT, "samples", "sample.mp4")
IN_CI = bool(os.environ.get("CI"))
LIBRARY = engine.find_library()
VTOK = os.environ.get("VTOK_BINARY") or os.path.join(ROOT, ".build", "release", "vtok")
HAVE_VTOK = os.path.isfile(VTOK) and os.access(VTOK, os.X_OK)
HAVE_FFMPEG = shutil.which("ffmpeg") is not None

if LIBRARY is None and IN_CI:
    raise RuntimeError("CI: libvtokc.so is not built (scripts/test.sh builds it)")
pytestmark = pytest.mark.skipif(LIBRARY is None, reason="libvtokc.so not built (swift build -c release --product vtokc)")
needs_cli = pytest.mark.skipif(not (HAVE_VTOK and HAVE_FFMPEG) and not IN_CI, reason="needs the vtok binary and ffmpeg")

# The CLI's scaling (Sources/VtokMedia/FrameScaler.swift), as an ffmpeg filter: frames made this way are the
# frames `vtok encode` tokenises.
CLI_SCALE = "scale={w}:{h}:flags=bilinear+accurate_rnd+full_chroma_int,format=rgb24"


@pytest.fixture(scope="module")
def tok():
    with Tokenizer(MODEL) as t:
        yield t


@pytest.fixture(scope="module")
def tiny():
    with Tokenizer(TINY_MODEL, backend="openblas", threads=1) as t:
        yield t


def clip_frames(n, w=256, h=256, seed=0):
    """Deterministic (n, h, w, 3) uint8 frames: moving gradients plus noise, so tokens vary in space and time."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    frames = []
    for t in range(n):
        base = np.stack([(x * 3 + t * 9) % 256, (y * 2 + t * 5) % 256, ((x + y) + t * 13) % 256], axis=-1)
        frames.append(np.clip(base + rng.integers(-20, 21, (h, w, 3)), 0, 255))
    return np.asarray(frames, dtype=np.uint8)


def run(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, timeout=300, **kw).stdout


def write_rgb_nut(path, frames):
    """Raw rgb24 frames in a nut file: `vtok encode` reads them unscaled and unconverted at 256x256."""
    t, h, w, _ = frames.shape
    run("ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", "25",
        "-i", "-", "-c:v", "rawvideo", "-f", "nut", str(path), input=frames.tobytes())


def cli_tokens(path):
    """The header and the (L, h, w) tokens of a stream `vtok encode` wrote."""
    with open(path, "rb") as f:
        events = list(read_stream(f))
    header = events[0]
    assert isinstance(header, Header)
    return header, np.stack([e.tokens for e in events if isinstance(e, Tokens)])


def ffmpeg_rgb(path, w, h):
    raw = run("ffmpeg", "-v", "error", "-i", str(path), "-vf", CLI_SCALE.format(w=w, h=h), "-f", "rawvideo", "-")
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


# ---- model info -------------------------------------------------------------------------------------------------

def test_model_info_matches_the_file(tok):
    with open(MODEL, "rb") as f:
        assert tok.sha256 == hashlib.sha256(f.read()).hexdigest()
    assert tok.name == "vtok-4x8x8"
    assert tok.levels == (8, 8, 8, 5, 5, 5) and tok.vocabulary_size == 64000
    assert (tok.temporal_factor, tok.spatial_factor) == (4, 8)


# ---- parity with the CLI ----------------------------------------------------------------------------------------

@needs_cli
@pytest.mark.parametrize("backend", ["onednn", "openblas"])
def test_tokens_equal_cli_on_the_same_frames(tmp_path, backend):
    frames = clip_frames(14)                                 # 1 + 4 + 4 + 4 + 1: a partial last group
    write_rgb_nut(tmp_path / "clip.nut", frames)
    run(VTOK, "encode", str(tmp_path / "clip.nut"), "-o", str(tmp_path / "clip.vtok"), "--backend", backend)
    header, want = cli_tokens(tmp_path / "clip.vtok")
    assert header.model_size == (256, 256)
    with Tokenizer(MODEL, backend=backend) as t:
        got = t.encode(frames)
        assert header.weights_sha256.hex() == t.sha256
    assert got.shape == want.shape == (5, 32, 32) and got.dtype == np.uint16
    assert np.array_equal(got, want)


@needs_cli
def test_tokens_equal_cli_on_the_sample_video_with_the_documented_scaling(tmp_path, tok):
    """samples/sample.mp4 (yuv420p): ffmpeg with the CLI's scale flags gives the CLI's tokens bit for bit."""
    run(VTOK, "encode", SAMPLE, "-o", str(tmp_path / "s.vtok"))
    header, want = cli_tokens(tmp_path / "s.vtok")
    w, h = header.model_size
    got = tok.encode(ffmpeg_rgb(SAMPLE, w, h))
    assert np.array_equal(got, want)


@needs_cli
def test_decode_equals_cli_pixels(tmp_path, tok):
    frames = clip_frames(10, seed=3)
    write_rgb_nut(tmp_path / "clip.nut", frames)
    run(VTOK, "encode", str(tmp_path / "clip.nut"), "-o", str(tmp_path / "clip.vtok"))
    run(VTOK, "decode", str(tmp_path / "clip.vtok"), "-o", str(tmp_path / "out.y4m"))
    _, tokens = cli_tokens(tmp_path / "clip.vtok")
    ours = tok.decode(tokens, num_frames=10)
    assert ours.shape == (10, 256, 256, 3)
    # The CLI writes yuv420p (RGB -> YUV with swscale bilinear + accurate_rnd, BT.601 limited range); convert our
    # RGB the same way: the planes are equal byte for byte. y4m carries a FRAME header per frame: read with ffmpeg as raw.
    theirs = run("ffmpeg", "-v", "error", "-i", str(tmp_path / "out.y4m"), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
    mine = run("ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "256x256", "-i", "-",
               "-vf", "scale=flags=bilinear+accurate_rnd", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-",
               input=ours.tobytes())
    a, b = np.frombuffer(theirs, np.uint8), np.frombuffer(mine, np.uint8)
    assert a.shape == b.shape == (10 * 256 * 256 * 3 // 2,)
    assert np.array_equal(a, b), np.abs(a.astype(np.int16) - b.astype(np.int16)).max()


# ---- streaming --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [1, 3, 4, 7])
def test_chunked_push_equals_whole_clip(tok, chunk):
    frames = clip_frames(15, seed=1)
    whole = tok.encode(frames)
    enc = tok.encoder(256, 256)
    parts, counts = [], []
    for i in range(0, len(frames), chunk):
        parts.append(enc.push(frames[i:i + chunk]))
        counts += enc.last_frame_counts
    parts.append(enc.finish())
    counts += enc.last_frame_counts
    assert np.array_equal(np.concatenate(parts), whole)
    assert counts == [1, 4, 4, 4, 2] and sum(counts) == 15
    assert enc.frames_in == 15 and enc.latents_out == 5
    enc.close()


def test_decoder_stream_chunked_equals_whole(tok):
    tokens = tok.encode(clip_frames(9, seed=2))               # 3 latents -> 9 frames
    whole = tok.decode(tokens)
    assert whole.shape == (9, 256, 256, 3)
    with tok.decoder(256, 256) as dec:
        parts = [dec.push(tokens[0]), dec.push(tokens[1:])]
        assert [len(p) for p in parts] == [1, 8] and dec.latents_in == 3
    assert np.array_equal(np.concatenate(parts), whole)


def test_decode_trims_to_the_true_frame_count(tiny):
    frames = clip_frames(7, 48, 32)
    tokens = tiny.encode(frames)
    assert tokens.shape == (3, 4, 6)
    assert tiny.decode(tokens).shape == (9, 32, 48, 3)
    assert tiny.decode(tokens, num_frames=7).shape == (7, 32, 48, 3)
    for bad in (5, 10, -1, 7.0):
        with pytest.raises(EngineValueError):
            tiny.decode(tokens, num_frames=bad)


def test_reset_starts_a_new_stream(tiny):
    frames = clip_frames(6, 48, 32, seed=4)
    enc = tiny.encoder(48, 32)
    first = np.concatenate([enc.push(frames), enc.finish()])
    with pytest.raises(SessionStateError):
        enc.push(frames[:1])
    enc.reset()
    assert np.array_equal(np.concatenate([enc.push(frames), enc.finish()]), first)


# ---- bad arguments raise, never crash ---------------------------------------------------------------------------

def test_bad_frames_raise(tiny):
    good = clip_frames(2, 48, 32)
    enc = tiny.encoder(48, 32)
    for bad in (good.astype(np.float32), good.astype(np.int16), good[..., 0], good[..., :2], good[None],
                good.tolist(), None):
        with pytest.raises(EngineValueError):
            enc.push(bad)
        with pytest.raises(EngineValueError):
            tiny.encode(bad)
    for other_size in (np.zeros((2, 32, 40, 3), np.uint8), np.zeros((2, 40, 48, 3), np.uint8)):
        with pytest.raises(EngineValueError):
            enc.push(other_size)                              # a stream has one frame size
    assert enc.frames_in == 0
    assert len(enc.push(good[0])) == 1                       # one (H, W, 3) frame is fine; a strided view too
    assert len(enc.push(good[:, ::-1][1:])) == 0
    with pytest.raises(EngineValueError):
        tiny.encode(np.zeros((0, 32, 48, 3), np.uint8))


def test_bad_sizes_and_options_raise(tiny):
    for w, h in ((50, 32), (48, 30), (0, 32), (-8, 32), (1 << 20, 32), (48.0, 32), (True, 32)):
        with pytest.raises(EngineValueError):
            tiny.encoder(w, h)
        with pytest.raises(EngineValueError):
            tiny.decoder(w, h)
    with pytest.raises(EngineValueError):
        tiny.encode(np.zeros((1, 30, 48, 3), np.uint8))
    with pytest.raises(EngineValueError):
        Tokenizer(TINY_MODEL, backend="cuda")
    with pytest.raises(EngineValueError):
        Tokenizer(TINY_MODEL, threads=-1)


def test_bad_tokens_raise(tiny):
    dec = tiny.decoder(48, 32)
    for bad in (np.full((1, 4, 6), 64000, np.uint16), np.zeros((1, 4, 6), np.int32), np.zeros((1, 4, 5), np.uint16),
                np.zeros((4,), np.uint16), [[0]]):
        with pytest.raises(EngineValueError):
            dec.push(bad)
    assert dec.latents_in == 0                                # nothing was consumed
    with pytest.raises(EngineValueError):
        tiny.decode(np.zeros((0, 4, 6), np.uint16))


def test_closed_sessions_and_tokenizers_raise(tmp_path):
    t = Tokenizer(TINY_MODEL, backend="openblas", threads=1)
    enc, dec = t.encoder(48, 32), t.decoder(48, 32)
    t.close()                                                  # streams keep the weights
    tokens = np.concatenate([enc.push(clip_frames(5, 48, 32)), enc.finish()])
    assert dec.push(tokens).shape == (5, 32, 48, 3)
    enc.close()
    enc.close()
    dec.close()
    for call in (lambda: enc.push(clip_frames(1, 48, 32)), enc.finish, enc.reset, lambda: dec.push(tokens),
                 lambda: t.encode(clip_frames(1, 48, 32)), lambda: t.encoder(48, 32)):
        with pytest.raises(SessionClosedError):
            call()


def test_bad_model_files_raise(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        Tokenizer(str(tmp_path / "missing.safetensors"))
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\xff" * 100)
    with pytest.raises(ModelError, match="cannot load model"):
        Tokenizer(str(junk))
    with pytest.raises(engine.LibraryNotFoundError):
        Tokenizer(TINY_MODEL, library=str(tmp_path / "libnothing.so"))


# ---- threads ----------------------------------------------------------------------------------------------------

def test_the_gil_is_released_while_the_engine_runs():
    """A Python thread keeps running while another is inside the engine: its longest pause during the engine call
    is a small part of the call (holding the GIL, as ctypes.PyDLL does, makes it the whole call)."""
    frames = clip_frames(41, seed=5)
    with Tokenizer(MODEL, threads=1) as t:
        enc = t.encoder(256, 256)
        enc.push(frames[:1])                                  # warm up
        span = {}

        def engine_call():
            span["start"] = time.perf_counter()
            enc.push(frames[1:])
            span["end"] = time.perf_counter()

        th = threading.Thread(target=engine_call)
        beats = []
        th.start()
        while th.is_alive():
            beats.append(time.perf_counter())
        th.join()
        enc.close()
    during = [b for b in beats if span["start"] <= b <= span["end"]]
    gaps = np.diff([span["start"], *during, span["end"]])
    duration = span["end"] - span["start"]
    assert duration > 0.05 and len(during) > 100, (duration, len(during))
    assert gaps.max() < 0.5 * duration, (gaps.max(), duration)


def test_tokenizer_encode_from_many_threads_agrees(tiny):
    clips = [clip_frames(6, 48, 32, seed=s) for s in range(6)]
    want = [tiny.encode(c) for c in clips]
    got = [None] * len(clips)

    def work(i):
        for _ in range(3):
            got[i] = tiny.encode(clips[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clips))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(np.array_equal(g, w) for g, w in zip(got, want))


def test_one_stream_from_two_threads_is_refused_not_corrupted(tok):
    frames = clip_frames(33, seed=6)
    enc = tok.encoder(256, 256)
    inside = threading.Event()
    refused = []

    def long_push():
        inside.set()
        enc.push(frames)

    for _ in range(20):
        th = threading.Thread(target=long_push)
        th.start()
        inside.wait()
        time.sleep(0.01)
        try:
            enc.push(frames[:1])
        except SessionBusyError:
            refused.append(True)
        th.join()
        inside.clear()
        if refused:
            break
    assert refused
    enc.reset()                                               # the refused call changed nothing
    assert np.array_equal(np.concatenate([enc.push(frames[:9]), enc.finish()]), tok.encode(frames[:9]))
    enc.close()


# ---- the header matches the library -----------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("cc") is None and not IN_CI, reason="no C compiler")
def test_c_program_against_the_header(tmp_path):
    include = os.path.join(ROOT, "Sources", "VtokC", "include")
    lib_dir = os.path.dirname(os.path.abspath(LIBRARY))
    exe = tmp_path / "vtok_smoke"
    run("cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", include,
        os.path.join(os.path.dirname(__file__), "c", "vtok_smoke.c"), "-L", lib_dir, "-lvtokc",
        f"-Wl,-rpath,{lib_dir}", "-o", str(exe))
    assert run(str(exe), TINY_MODEL) == b"ok\n"
