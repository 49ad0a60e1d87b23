"""The vtok engine in-process: RGB frames -> tokens -> RGB frames through libvtokc.so (Sources/VtokC/include/vtok.h).

    from vtok_stream.engine import Tokenizer
    tok = Tokenizer()                              # the released model; or Tokenizer("path/model.safetensors")
    tokens = tok.encode(frames)                    # (T, 256, 256, 3) uint8 -> (L, 32, 32) uint16, as `vtok encode`
    video = tok.decode(tokens, num_frames=len(frames))   # -> (T, 256, 256, 3) uint8, as `vtok decode`

Frames are used as given: RGB, uint8, (T, H, W, 3), already at the model size (H and W multiples of the spatial
factor, e.g. 256x256). Nothing is scaled here; the CLI scales a video to 256 on the short side with FFmpeg
(`scale=W:H:flags=bilinear+accurate_rnd+full_chroma_int`, then rgb24), so frames made that way give the CLI's
tokens bit for bit.

Time: frame 0 alone makes latent 0, then every T frames (T = temporal_factor, 4) one more; a last partial group
is completed by repeating its last frame. L latents decode to 1 + T*(L-1) frames; `num_frames` trims the last group.

Threads: every engine call releases the GIL (ctypes CDLL), so threads encode in parallel. A Tokenizer may be used
from any number of threads (it keeps a pool of sessions); an EncoderStream or DecoderStream by one thread at a
time (a second thread's call raises SessionBusyError). Compute options (backend, threads) are per Tokenizer.

The library is found at $VTOK_LIBRARY, next to this package (vtok_stream/libvtokc.so), in the source tree's
.build/release/libvtokc.so, or by the system's loader; build it with `swift build -c release --product vtokc`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from typing import Dict, List, Optional, Tuple

import numpy as np

__all__ = [
    "Tokenizer", "EncoderStream", "DecoderStream", "find_library", "find_model",
    "VtokError", "LibraryNotFoundError", "ModelError", "EngineValueError", "SessionStateError",
    "SessionClosedError", "SessionBusyError", "BackendError",
]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_PACKAGE))
LIBRARY_NAME = "libvtokc.so"
MODEL_NAME = "vtok-4x8x8.safetensors"
BACKENDS = {"onednn": 0, "openblas": 1}


class VtokError(Exception):
    """An error from the vtok engine; `code` is the vtok_status (0 when raised by the binding itself)."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.code = code


class LibraryNotFoundError(VtokError, OSError):
    """libvtokc.so could not be found or loaded."""


class ModelError(VtokError, ValueError):
    """The weights file could not be read or is not a vtok model."""


class EngineValueError(VtokError, ValueError):
    """An argument has the wrong dtype, shape, size or value (also out-of-range tokens)."""


class SessionStateError(VtokError, RuntimeError):
    """The call does not fit the session's state (push after finish)."""


class SessionClosedError(SessionStateError):
    """The session or tokenizer was closed."""


class SessionBusyError(SessionStateError):
    """Another thread is inside a call on the same stream."""


class BackendError(VtokError, RuntimeError):
    """The compute library cannot run here (oneDNN under a W^X policy: use backend='openblas')."""


# vtok_status -> exception class (include/vtok.h).
_ERRORS = {1: EngineValueError, 2: ModelError, 3: ModelError, 4: EngineValueError, 5: EngineValueError,
           6: EngineValueError, 7: SessionStateError, 8: BackendError, 9: EngineValueError, 10: SessionBusyError}

_P = ctypes.c_void_p
_I32, _I64 = ctypes.c_int32, ctypes.c_int64
_SIGNATURES = {
    "vtok_version": (ctypes.c_char_p, []),
    "vtok_abi_version": (_I32, []),
    "vtok_last_error": (ctypes.c_char_p, []),
    "vtok_model_load": (_I32, [ctypes.c_char_p, ctypes.POINTER(_P)]),
    "vtok_model_free": (None, [_P]),
    "vtok_model_name": (ctypes.c_char_p, [_P]),
    "vtok_model_sha256": (ctypes.c_char_p, [_P]),
    "vtok_model_temporal_factor": (_I32, [_P]),
    "vtok_model_spatial_factor": (_I32, [_P]),
    "vtok_model_vocabulary_size": (_I64, [_P]),
    "vtok_model_levels": (_I32, [_P, ctypes.POINTER(_I32), _I32]),
    "vtok_encoder_create": (_I32, [_P, _I32, _I32, _I32, _I32, ctypes.POINTER(_P)]),
    "vtok_encoder_free": (None, [_P]),
    "vtok_encoder_latents_for": (_I64, [_P, _I64]),
    "vtok_encoder_push": (_I32, [_P, _P, _I64, _P, _I64, ctypes.POINTER(_I64), _P]),
    "vtok_encoder_finish": (_I32, [_P, _P, _I64, ctypes.POINTER(_I64), _P]),
    "vtok_encoder_reset": (_I32, [_P]),
    "vtok_encoder_frames_in": (_I64, [_P]),
    "vtok_encoder_latents_out": (_I64, [_P]),
    "vtok_decoder_create": (_I32, [_P, _I32, _I32, _I32, _I32, ctypes.POINTER(_P)]),
    "vtok_decoder_free": (None, [_P]),
    "vtok_decoder_frames_for": (_I64, [_P, _I64]),
    "vtok_decoder_push": (_I32, [_P, _P, _I64, _P, _I64, ctypes.POINTER(_I64)]),
    "vtok_decoder_reset": (_I32, [_P]),
    "vtok_decoder_latents_in": (_I64, [_P]),
}

_lib_lock = threading.Lock()
_libs: Dict[str, ctypes.CDLL] = {}


def find_library() -> Optional[str]:
    """The path of libvtokc.so: $VTOK_LIBRARY, next to this package, the source tree's .build/release, else None."""
    env = os.environ.get("VTOK_LIBRARY")
    if env:
        return env
    for candidate in (os.path.join(_PACKAGE, LIBRARY_NAME), os.path.join(_REPO, ".build", "release", LIBRARY_NAME)):
        if os.path.isfile(candidate):
            return candidate
    return ctypes.util.find_library("vtokc")


def find_model() -> Optional[str]:
    """The released model: $VTOK_MODEL, the source tree's models/, or an installed share/vtok/models."""
    env = os.environ.get("VTOK_MODEL")
    candidates = [env] if env else []
    candidates += [os.path.join(_REPO, "models", MODEL_NAME),
                   os.path.join("/usr/local/share/vtok/models", MODEL_NAME),
                   os.path.join("/usr/share/vtok/models", MODEL_NAME)]
    return next((c for c in candidates if os.path.isfile(c)), None)


def load_library(path: Optional[str] = None) -> ctypes.CDLL:
    """Loads (once per path) and types the library. CDLL: every call releases the GIL."""
    path = path or find_library()
    if not path:
        raise LibraryNotFoundError(f"{LIBRARY_NAME} not found: build it (swift build -c release --product vtokc) "
                                   "or set VTOK_LIBRARY")
    with _lib_lock:
        if path in _libs:
            return _libs[path]
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            raise LibraryNotFoundError(f"cannot load {path}: {e}") from e
        for name, (res, args) in _SIGNATURES.items():
            try:
                fn = getattr(lib, name)
            except AttributeError as e:
                raise LibraryNotFoundError(f"{path} lacks {name}: not a vtok {LIBRARY_NAME}") from e
            fn.restype, fn.argtypes = res, args
        if lib.vtok_abi_version() != 1:
            raise LibraryNotFoundError(f"{path} has C ABI {lib.vtok_abi_version()}; this binding speaks 1")
        _libs[path] = lib
        return lib


def _check(lib: ctypes.CDLL, status: int) -> None:
    if status != 0:
        message = (lib.vtok_last_error() or b"").decode("utf-8", "replace")
        raise _ERRORS.get(status, VtokError)(message or f"vtok status {status}", status)


def _ptr(a: np.ndarray) -> int:
    return a.ctypes.data


def _frames_array(frames, width: Optional[int] = None, height: Optional[int] = None) -> np.ndarray:
    """frames as a C-contiguous uint8 (T, H, W, 3) array; (H, W, 3) is one frame. Never converts a dtype."""
    if not isinstance(frames, np.ndarray):
        raise EngineValueError(f"frames must be a numpy array, not {type(frames).__name__}")
    if frames.dtype != np.uint8:
        raise EngineValueError(f"frames must be uint8 RGB, not {frames.dtype}")
    if frames.ndim == 3:
        frames = frames[None]
    if frames.ndim != 4 or frames.shape[3] != 3:
        raise EngineValueError(f"frames must be (T, H, W, 3) RGB, not shape {frames.shape}")
    if width is not None and (frames.shape[1], frames.shape[2]) != (height, width):
        raise EngineValueError(f"frames are {frames.shape[2]}x{frames.shape[1]}; this stream takes {width}x{height}")
    return np.ascontiguousarray(frames)



class _Closing:
    """Context manager and finaliser for objects with a close()."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

class _Session(_Closing):
    """A C session handle with a lock: one call at a time; close waits for a call in progress."""

    _free_name = ""

    def __init__(self, lib: ctypes.CDLL, handle: int, width: int, height: int, grid: Tuple[int, int]):
        self._lib = lib
        self._handle: Optional[int] = handle
        self._lock = threading.Lock()
        self.width, self.height = width, height
        self.grid = grid                  # (h, w) tokens per latent frame

    def _enter(self) -> int:
        if not self._lock.acquire(blocking=False):
            raise SessionBusyError("another thread is using this stream (a stream is single-threaded)", 10)
        if self._handle is None:
            self._lock.release()
            raise SessionClosedError("the stream is closed")
        return self._handle

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                getattr(self._lib, self._free_name)(self._handle)
                self._handle = None

    @property
    def closed(self) -> bool:
        return self._handle is None



class EncoderStream(_Session):
    """Frames in, tokens out as each latent frame completes; any chunking gives the same tokens."""

    _free_name = "vtok_encoder_free"

    def push(self, frames: np.ndarray) -> np.ndarray:
        """Pushes (n, H, W, 3) or (H, W, 3) uint8 frames; returns the (l, h, w) uint16 tokens they complete.
        `last_frame_counts` then holds how many real frames each returned latent covers."""
        frames = _frames_array(frames, self.width, self.height)
        handle = self._enter()
        try:
            lib, n = self._lib, frames.shape[0]
            need = lib.vtok_encoder_latents_for(handle, n)
            return self._collect(lambda out, counts, got: lib.vtok_encoder_push(
                handle, _ptr(frames), n, _ptr(out), need, ctypes.byref(got), _ptr(counts)), max(need, 0))
        finally:
            self._lock.release()

    def finish(self) -> np.ndarray:
        """Ends the stream: the partial last group's latent, (0 or 1, h, w). Push again only after reset()."""
        handle = self._enter()
        try:
            lib = self._lib
            return self._collect(lambda out, counts, got: lib.vtok_encoder_finish(
                handle, _ptr(out), 1, ctypes.byref(got), _ptr(counts)), 1)
        finally:
            self._lock.release()

    def _collect(self, call, capacity: int) -> np.ndarray:
        out = np.empty((max(capacity, 1), *self.grid), dtype=np.uint16)
        counts = np.zeros(max(capacity, 1), dtype=np.int32)
        got = ctypes.c_int64(0)
        _check(self._lib, call(out, counts, got))
        self.last_frame_counts = counts[:got.value].tolist()
        return out[:got.value]

    def reset(self) -> None:
        """Starts a new stream (zero history) on the same session."""
        handle = self._enter()
        try:
            _check(self._lib, self._lib.vtok_encoder_reset(handle))
        finally:
            self._lock.release()

    @property
    def frames_in(self) -> int:
        return int(self._lib.vtok_encoder_frames_in(self._handle)) if self._handle is not None else 0

    @property
    def latents_out(self) -> int:
        return int(self._lib.vtok_encoder_latents_out(self._handle)) if self._handle is not None else 0


class DecoderStream(_Session):
    """Tokens in, frames out: latent 0 gives 1 frame, every later latent T."""

    _free_name = "vtok_decoder_free"

    def push(self, tokens: np.ndarray) -> np.ndarray:
        """Pushes (l, h, w) or (h, w) uint16 tokens; returns the (n, H, W, 3) uint8 frames they yield."""
        tokens = _tokens_array(tokens, self.grid)
        handle = self._enter()
        try:
            lib, n = self._lib, tokens.shape[0]
            need = max(int(lib.vtok_decoder_frames_for(handle, n)), 0)
            out = np.empty((max(need, 1), self.height, self.width, 3), dtype=np.uint8)
            got = ctypes.c_int64(0)
            _check(lib, lib.vtok_decoder_push(handle, _ptr(tokens), n, _ptr(out), need, ctypes.byref(got)))
            return out[:got.value]
        finally:
            self._lock.release()

    def reset(self) -> None:
        handle = self._enter()
        try:
            _check(self._lib, self._lib.vtok_decoder_reset(handle))
        finally:
            self._lock.release()

    @property
    def latents_in(self) -> int:
        return int(self._lib.vtok_decoder_latents_in(self._handle)) if self._handle is not None else 0


def _tokens_array(tokens, grid: Optional[Tuple[int, int]] = None) -> np.ndarray:
    if not isinstance(tokens, np.ndarray):
        raise EngineValueError(f"tokens must be a numpy array, not {type(tokens).__name__}")
    if tokens.dtype != np.uint16:
        raise EngineValueError(f"tokens must be uint16, not {tokens.dtype}")
    if tokens.ndim == 2:
        tokens = tokens[None]
    if tokens.ndim != 3:
        raise EngineValueError(f"tokens must be (L, h, w), not shape {tokens.shape}")
    if grid is not None and tuple(tokens.shape[1:]) != tuple(grid):
        raise EngineValueError(f"tokens are {tokens.shape[1]}x{tokens.shape[2]}; this stream takes {grid[0]}x{grid[1]}")
    return np.ascontiguousarray(tokens)


class Tokenizer(_Closing):
    """A loaded model, shared by the streams it makes; encode/decode are whole-clip conveniences on pooled sessions."""

    def __init__(self, model_path: Optional[str] = None, *, backend: str = "onednn", threads: int = 0,
                 library: Optional[str] = None):
        if backend not in BACKENDS:
            raise EngineValueError(f"backend must be one of {sorted(BACKENDS)}, not {backend!r}")
        if not isinstance(threads, int) or not 0 <= threads <= 1024:
            raise EngineValueError(f"threads must be 0 (one per core) ... 1024, not {threads!r}")
        self._lib = load_library(library)
        path = model_path or find_model()
        if not path:
            raise ModelError("no model found: pass a path or set VTOK_MODEL")
        handle = _P()
        _check(self._lib, self._lib.vtok_model_load(os.fsencode(path), ctypes.byref(handle)))
        self._handle: Optional[int] = handle.value
        self.path = path
        self.backend, self.threads = backend, threads
        lib, h = self._lib, self._handle
        self.name = lib.vtok_model_name(h).decode()
        self.sha256 = lib.vtok_model_sha256(h).decode()
        self.temporal_factor = int(lib.vtok_model_temporal_factor(h))
        self.spatial_factor = int(lib.vtok_model_spatial_factor(h))
        self.vocabulary_size = int(lib.vtok_model_vocabulary_size(h))
        levels = (_I32 * 32)()
        n = lib.vtok_model_levels(h, levels, 32)
        self.levels = tuple(levels[i] for i in range(min(n, 32)))
        self._pool_lock = threading.Lock()
        self._pool: Dict[Tuple[str, int, int], List[_Session]] = {}

    def _model(self) -> int:
        if self._handle is None:
            raise SessionClosedError("the tokenizer is closed")
        return self._handle

    def encoder(self, width: int, height: int) -> EncoderStream:
        """A new streaming encoder for frames of width x height (multiples of spatial_factor)."""
        handle = _P()
        w, h = self._size(width, height)
        _check(self._lib, self._lib.vtok_encoder_create(self._model(), w, h, BACKENDS[self.backend], self.threads,
                                                        ctypes.byref(handle)))
        return EncoderStream(self._lib, handle.value, w, h, (h // self.spatial_factor, w // self.spatial_factor))

    def decoder(self, width: int, height: int) -> DecoderStream:
        """A new streaming decoder to frames of width x height (the model size the tokens were made at)."""
        handle = _P()
        w, h = self._size(width, height)
        _check(self._lib, self._lib.vtok_decoder_create(self._model(), w, h, BACKENDS[self.backend], self.threads,
                                                        ctypes.byref(handle)))
        return DecoderStream(self._lib, handle.value, w, h, (h // self.spatial_factor, w // self.spatial_factor))

    @staticmethod
    def _size(width, height) -> Tuple[int, int]:
        for v in (width, height):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 < int(v) <= 16384:
                raise EngineValueError(f"frame size {width}x{height} must be positive integers, at most 16384")
        return int(width), int(height)

    def num_frames(self, latents: int) -> int:
        """Frames that `latents` latent frames decode to: 1 + T*(L-1) (0 for none)."""
        return 0 if latents <= 0 else 1 + self.temporal_factor * (latents - 1)

    def num_latents(self, frames: int) -> int:
        """Latent frames that `frames` frames encode to: 1 + ceil((T'-1)/T) (0 for none)."""
        return 0 if frames <= 0 else 1 + -(-(frames - 1) // self.temporal_factor)

    def encode(self, frames: np.ndarray) -> np.ndarray:
        """A whole clip, (T, H, W, 3) uint8 RGB at the model size -> (L, H/S, W/S) uint16 tokens, as `vtok encode`."""
        frames = _frames_array(frames)
        if frames.shape[0] == 0:
            raise EngineValueError("no frames to encode")
        with self._pooled("enc", frames.shape[2], frames.shape[1]) as enc:
            head = enc.push(frames)
            tail = enc.finish()
        return np.concatenate([head, tail]) if len(tail) else head

    def decode(self, tokens: np.ndarray, num_frames: Optional[int] = None) -> np.ndarray:
        """(L, h, w) uint16 tokens -> (T', H, W, 3) uint8 frames, as `vtok decode`. T' is num_frames (the true frame
        count, which must be one that encodes to L latents) or, without it, 1 + T*(L-1)."""
        tokens = _tokens_array(tokens)
        n = tokens.shape[0]
        if n == 0:
            raise EngineValueError("no tokens to decode")
        full = self.num_frames(n)
        if num_frames is not None and not (isinstance(num_frames, (int, np.integer))
                                           and self.num_latents(int(num_frames)) == n):
            raise EngineValueError(f"num_frames {num_frames!r} does not encode to {n} latent frames "
                                   f"(possible: {full - self.temporal_factor + 1 if n > 1 else 1} ... {full})")
        s = self.spatial_factor
        with self._pooled("dec", tokens.shape[2] * s, tokens.shape[1] * s) as dec:
            frames = dec.push(tokens)
        return frames if num_frames is None else frames[:int(num_frames)]

    class _Lease:
        def __init__(self, owner: "Tokenizer", key, session: _Session):
            self.owner, self.key, self.session = owner, key, session

        def __enter__(self):
            return self.session

        def __exit__(self, *exc) -> None:
            try:
                self.session.reset()
            except VtokError:
                self.session.close()
                return
            with self.owner._pool_lock:
                if self.owner._handle is None:
                    self.session.close()
                else:
                    self.owner._pool.setdefault(self.key, []).append(self.session)

    def _pooled(self, kind: str, width: int, height: int) -> "Tokenizer._Lease":
        key = (kind, int(width), int(height))
        with self._pool_lock:
            idle = self._pool.get(key)
            session = idle.pop() if idle else None
        if session is None:
            session = self.encoder(width, height) if kind == "enc" else self.decoder(width, height)
        return Tokenizer._Lease(self, key, session)

    def close(self) -> None:
        """Frees the model and the pooled sessions; streams already made stay usable."""
        with self._pool_lock:
            pooled = [s for sessions in self._pool.values() for s in sessions]
            self._pool.clear()
            handle, self._handle = getattr(self, "_handle", None), None
        for s in pooled:
            s.close()
        if handle is not None:
            self._lib.vtok_model_free(handle)


    def __repr__(self) -> str:
        return f"Tokenizer({self.name}, sha256 {self.sha256[:12]}, levels {self.levels}, backend {self.backend})"
