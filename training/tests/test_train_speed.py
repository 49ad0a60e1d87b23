"""The two training-speed settings of train.py: the allocator keeps freed memory in the process, and the compiled
decoder computes what the eager one does and keeps its parameter names (checkpoints load either way)."""
import subprocess
import sys
import textwrap

import torch

from train import compile_decoder
from vtok_model import ModelConfig, Tokenizer
from vtok_model.config import decoder_v2

PROBE = textwrap.dedent("""
    import ctypes, sys
    sys.path.insert(0, {root!r})
    from vtok_model.allocator import keep_freed_memory
    class Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                    "fsmblks", "uordblks", "fordblks", "keepcost")]
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = Info
    if sys.argv[1] == "keep":
        print(keep_freed_memory())
    p = libc.malloc(16 << 20)                  # a 16 MiB activation
    ctypes.memset(p, 1, 16 << 20)
    libc.free(p)
    print(libc.mallinfo2().fordblks >> 20)     # MiB free inside the heap, ready for the next step
""")


def _probe(mode):
    import os
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "MALLOC_CONF")}
    out = subprocess.run([sys.executable, "-c", PROBE.format(root=root), mode], capture_output=True, text=True,
                         env=env, check=True).stdout.split("\n")
    return [line for line in out if line]


def test_freed_activations_stay_in_the_heap():
    said, kept = _probe("keep")
    assert said == "glibc malloc, freed memory kept (mallopt)"
    assert int(kept) >= 16
    (returned,) = _probe("system")              # glibc's default: the block went back to the kernel (munmap)
    assert int(returned) < 16


def test_jemalloc_is_left_alone(monkeypatch):
    from vtok_model.allocator import keep_freed_memory
    monkeypatch.setenv("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2")
    assert keep_freed_memory() == "jemalloc (LD_PRELOAD)"


def test_compiled_decoder_matches_eager_forward_and_backward():
    torch.manual_seed(0)
    cfg = ModelConfig(name="vtok-4x8x8-d2", version=2, decoder=decoder_v2())
    eager = Tokenizer(cfg).decoder
    compiled = Tokenizer(cfg).decoder
    compiled.load_state_dict(eager.state_dict())
    names = list(compiled.state_dict())
    compile_decoder(compiled)
    assert list(compiled.state_dict()) == names
    z = torch.randn(2, cfg.latent_channels, 2, 4, 4)                  # (B, 6, L, h, w)
    outs, grads = [], []
    for dec in (eager, compiled):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y = dec(z)                                               # (2, 3, 8, 32, 32)
        y.float().square().mean().backward()
        outs.append(y.float())
        grads.append(torch.cat([p.grad.flatten() for p in dec.parameters()]))
    assert outs[0].shape == (2, 3, 8, 32, 32)
    assert (outs[0] - outs[1]).abs().max() < 0.05                   # bf16 autocast both ways
    cos = torch.nn.functional.cosine_similarity(grads[0], grads[1], dim=0)
    assert cos > 0.99


def test_precision_auto_uses_bf16_only_where_it_is_native():
    from train import autocast_dtype
    assert autocast_dtype("auto", "cuda", cpu_has_bf16=False) is torch.bfloat16
    assert autocast_dtype("auto", "cpu", cpu_has_bf16=True) is torch.bfloat16
    assert autocast_dtype("auto", "cpu", cpu_has_bf16=False) is None        # AVX2-only: emulated bf16 is ~37x slower
    assert autocast_dtype("fp32", "cuda", cpu_has_bf16=True) is None
    assert autocast_dtype("bf16", "cpu", cpu_has_bf16=False) is torch.bfloat16
    native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    assert autocast_dtype("auto", "cpu") is (torch.bfloat16 if native else None)
