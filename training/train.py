"""Train the vtok tokeniser on the packed clips (python -m data pack first; see training/README.md).

  python train.py --pack ../data/train --run ../runs/main --minutes 120
Resumes from RUN/last.pt when it exists; where it is gone, --resume-weights FILE continues from the weights an
earlier run kept in the repository (export.py's file, training/checkpoints/). Writes RUN/log.csv, RUN/loss.png,
RUN/last.pt (model, EMA, optimiser, step, RNG) every --ckpt-every steps and at the end; export.py turns the EMA
weights into the release file.
"""
from __future__ import annotations

import argparse
import copy
import csv
import math
import os
import time

import numpy as np
import torch

from vtok_model import ModelConfig, Tokenizer
from vtok_model.allocator import keep_freed_memory
from vtok_model.config import decoder_v2
from vtok_model.data import ClipSampler, to_model_input
from vtok_model.losses import psnr, recon_loss


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--pack", default="../data/train")
    p.add_argument("--run", default="../runs/main")
    p.add_argument("--minutes", type=float, default=60)
    p.add_argument("--max-steps", type=int, default=10 ** 9)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--frames", type=int, default=9)
    p.add_argument("--crop", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--decay-steps", type=int, default=0, help="cosine decay to 10%% over the last N steps of --max-steps")
    p.add_argument("--decay-minutes", type=float, default=0,
                   help="cosine decay to 5%% over the last N minutes of this run's --minutes (wall clock)")
    p.add_argument("--continuous-frac", type=float, default=0.2)
    p.add_argument("--image-frac", type=float, default=0.1)
    p.add_argument("--ssim-weight", type=float, default=0.2)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--ckpt-every", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--init", default="", help="start from a released .safetensors (weights only; with --arch v2,\n"
                   "every tensor whose name and shape match: the encoder, FSQ and the decoder's trunk)")
    p.add_argument("--resume-weights", default="",
                   help="where RUN/last.pt is gone: continue from an earlier run's exported weights (every tensor must "
                        "match; the step count continues from the file's training_steps; a fresh optimiser, so "
                        "--warmup counts from here)")
    p.add_argument("--arch", choices=["v1", "v2"], default="v1", help="v2: the second-generation decoder")
    p.add_argument("--decoder-only", action="store_true",
                   help="freeze the encoder (no_grad, not optimised): the tokens stay those of --init")
    p.add_argument("--freeze-trunk", type=int, default=0,
                   help="with --decoder-only: the first N decoder ops run under no_grad and are not optimised")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--allocator", choices=["keep", "system"], default="keep",
                   help="keep: freed memory stays in the process between steps (vtok_model/allocator.py); "
                        "system: the allocator's defaults, as runs before session 6 had")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the decoder (fused elementwise kernels; the first steps compile)")
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                   help="autocast dtype; auto: bf16 on CUDA and on CPUs with native bf16 (AVX-512 BF16, AMX), "
                        "fp32 elsewhere (an AVX2-only CPU runs bf16 convolutions about 37x slower than fp32)")
    p.add_argument("--prefetch", type=int, default=0,
                   help="draw this many batches ahead on a thread (a GPU waits for the CPU's sampling otherwise); "
                        "0: draw each batch in the loop, as earlier runs did")
    return p.parse_args()


class Prefetcher:
    """Runs draw() on one thread, up to `depth` results ahead; only that thread touches the sampler's RNG, so the
    batches are the same sequence as without it (the checkpoint's RNG state is then up to `depth` batches ahead)."""

    def __init__(self, draw, depth: int):
        import queue
        import threading
        self.q = queue.Queue(maxsize=depth)
        threading.Thread(target=self._run, args=(draw,), daemon=True).start()

    def _run(self, draw):
        while True:
            try:
                self.q.put(("ok", draw()))
            except BaseException as e:             # surfaced in the training loop, not lost on the thread
                self.q.put(("error", e))
                return

    def next(self):
        kind, value = self.q.get()
        if kind == "error":
            raise value
        return value


def autocast_dtype(precision: str, device_type: str, cpu_has_bf16: bool | None = None) -> torch.dtype | None:
    """The dtype train.py autocasts to, or None for plain fp32. "auto" picks bf16 where it is fast: CUDA, or a CPU
    whose oneDNN has native bf16 kernels. Without them (AVX2-only CPUs) oneDNN emulates bf16 and a decoder step
    takes minutes instead of seconds (session 9, AMD Zen 3: a Conv3d forward+backward 0.26 s fp32, 9.6 s bf16)."""
    if precision == "fp32":
        return None
    if precision == "bf16" or device_type == "cuda":
        return torch.bfloat16
    if cpu_has_bf16 is None:
        cpu_has_bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return torch.bfloat16 if cpu_has_bf16 else None


def lr_at(step, a, elapsed=0.0, warm_from=0):
    if step - warm_from < a.warmup:
        return a.lr * (step - warm_from + 1) / a.warmup
    if a.decay_minutes:
        start = (a.minutes - a.decay_minutes) * 60
        if elapsed > start:
            f = min(1.0, (elapsed - start) / (a.decay_minutes * 60))
            return a.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * f)))
    if a.decay_steps and step > a.max_steps - a.decay_steps:
        f = (step - (a.max_steps - a.decay_steps)) / a.decay_steps
        return a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, f))))
    return a.lr


def OpStackKey(op):
    return op["name"].replace(".", "_")


def decoder_step(model, x, continuous, frozen_ops):
    """Decoder-only training: the frozen encoder (and the first `frozen_ops` decoder ops) under no_grad."""
    with torch.no_grad():
        target = model.group_frames(x)
        z = model.encoder(target)
        zhat = model.fsq.continuous(z) if continuous else model.fsq.quantize(z)
        h = model.decoder(zhat, 0, frozen_ops)
    return model.decoder(h, frozen_ops), target


def compile_decoder(decoder):
    """torch.compile in place (the state_dict keeps its names, so checkpoints load either way). Each op compiles
    once per shape and dtype it meets (clips, image batches, both crops), hence the raised recompile limit.
    Inductor fuses each norm -> silu -> conv chain's elementwise work, forward and backward: 2.1 s against
    3.0 s a step on 2 cores (training/README.md); the first steps of a run compile (minutes, cached on disk)."""
    import torch._dynamo as dynamo
    dynamo.config.recompile_limit = max(dynamo.config.recompile_limit, 256)
    decoder.compile()


def resume_weights(model, ema, path) -> int:
    """Loads an export of an earlier run of the same architecture into model and EMA; returns its training step.
    Every tensor must be there with its shape: a file of another architecture is refused, not half taken."""
    from safetensors import SafetensorError
    from vtok_model.weights import load_release
    try:
        src, meta = load_release(path)
    except (OSError, ValueError, KeyError, SafetensorError) as e:
        raise SystemExit(f"--resume-weights {path}: {e}")
    if src.cfg.to_json() != model.cfg.to_json():
        raise SystemExit(f"--resume-weights {path}: its config ({src.cfg.name}, version {src.cfg.version}) is not "
                         f"this run's ({model.cfg.name}, version {model.cfg.version}); use --init for a released file")
    if "training_steps" not in meta or not meta["training_steps"].isdigit():
        raise SystemExit(f"--resume-weights {path}: no training_steps in its metadata (not written by export.py)")
    sd = src.state_dict()
    model.load_state_dict(sd)
    ema.load_state_dict(sd)
    return int(meta["training_steps"])


def save_ckpt(path, model, ema, opt, step, sampler, args):
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                "rng": sampler.rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                "config": model.cfg.to_json(), "args": vars(args)}, tmp)
    os.replace(tmp, path)


def plot(run):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = list(csv.DictReader(open(os.path.join(run, "log.csv"))))
    if not rows:
        return
    s = np.array([int(r["step"]) for r in rows])
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
    l1 = np.array([float(r["l1"]) for r in rows])
    k = max(1, len(l1) // 100)
    sm = np.convolve(l1, np.ones(k) / k, mode="valid")
    ax[0].plot(s[:len(sm)], sm)
    ax[0].set_yscale("log"); ax[0].set_xlabel("step"); ax[0].set_title("train L1 (smoothed)")
    ps = np.array([float(r["psnr"]) for r in rows])
    ps = np.convolve(ps, np.ones(k) / k, mode="valid")
    ax[1].plot(s[:len(ps)], ps)
    ax[1].set_xlabel("step"); ax[1].set_title("train PSNR dB (smoothed)")
    fig.tight_layout()
    fig.savefig(os.path.join(run, "loss.png"), dpi=90)
    plt.close(fig)


def main():
    a = parse()
    if a.allocator == "keep":
        print(f"allocator: {keep_freed_memory()}", flush=True)
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.run, exist_ok=True)
    dev = torch.device(a.device)
    cfg = ModelConfig() if a.arch == "v1" else ModelConfig(name="vtok-4x8x8-d2", version=2, decoder=decoder_v2())
    model = Tokenizer(cfg).to(dev)
    if a.init and a.resume_weights:
        raise SystemExit("--init and --resume-weights: give one (--init takes the matching tensors of a released "
                         "file, --resume-weights continues an earlier run from its kept weights)")
    if a.init:
        from vtok_model.weights import load_release
        src = load_release(a.init)[0].state_dict()
        own = model.state_dict()
        taken = {k: v for k, v in src.items() if k in own and own[k].shape == v.shape}
        own.update(taken)
        model.load_state_dict(own)
        print(f"init: {len(taken)} of {len(own)} tensors from {a.init}", flush=True)
    if a.decoder_only:
        for p_ in model.encoder.parameters():
            p_.requires_grad_(False)
        for op in model.decoder.ops[:a.freeze_trunk]:
            if "name" in op:
                for p_ in model.decoder.mods[OpStackKey(op)].parameters():
                    p_.requires_grad_(False)
    model = model.to(memory_format=torch.channels_last_3d)
    ema = copy.deepcopy(model).eval()
    if a.compile:
        compile_decoder(model.decoder)
    for p_ in ema.parameters():
        p_.requires_grad_(False)
    trainable = [p_ for p_ in model.parameters() if p_.requires_grad]
    print(f"training {sum(p_.numel() for p_ in trainable) / 1e6:.2f} M of "
          f"{sum(p_.numel() for p_ in model.parameters()) / 1e6:.2f} M parameters", flush=True)
    opt = torch.optim.AdamW(trainable, lr=a.lr, betas=(0.9, 0.99), weight_decay=1e-4)
    step, warm_from = 0, 0
    ck = os.path.join(a.run, "last.pt")
    if a.resume_weights and not os.path.exists(ck):
        step = resume_weights(model, ema, a.resume_weights)
        warm_from = step
        print(f"resumed from the weights in {a.resume_weights} at step {step} (fresh optimiser)", flush=True)
    # A run continued from kept weights draws other batches than the run that made them did from step 0.
    sampler = ClipSampler(a.pack, seed=a.seed + warm_from)
    if os.path.exists(ck):
        st = torch.load(ck, map_location=dev, weights_only=False)
        model.load_state_dict(st["model"]); ema.load_state_dict(st["ema"]); opt.load_state_dict(st["opt"])
        step = st["step"]; sampler.rng.bit_generator.state = st["rng"]; torch.set_rng_state(st["torch_rng"])
        print(f"resumed at step {step}", flush=True)
    logf = open(os.path.join(a.run, "log.csv"), "a", newline="")
    log = csv.writer(logf)
    if os.path.getsize(os.path.join(a.run, "log.csv")) == 0:
        log.writerow(["step", "time", "lr", "loss", "l1", "ssim", "psnr", "continuous", "images"])
    t_end = time.time() + a.minutes * 60
    t0, step0 = time.time(), step
    amp_dtype = autocast_dtype(a.precision, dev.type)
    amp = dict(device_type=dev.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None)
    print(f"precision: {'bf16 autocast' if amp_dtype else 'fp32'} ({a.precision})", flush=True)
    def draw():
        """One batch and its choices, all from the sampler's RNG, in the order earlier runs drew them."""
        images = sampler.rng.random() < a.image_frac
        u8 = sampler.sample(a.batch * 4, 1, a.crop) if images else sampler.sample(a.batch, a.frames, a.crop)
        return images, u8, bool(sampler.rng.random() < a.continuous_frac)

    batches = Prefetcher(draw, a.prefetch) if a.prefetch > 0 else None
    while step < a.max_steps and time.time() < t_end:
        images, u8, continuous = batches.next() if batches else draw()
        x = to_model_input(u8).to(dev, non_blocking=True).contiguous(memory_format=torch.channels_last_3d)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a, time.time() - t0, warm_from)
        with torch.autocast(**amp):
            if a.decoder_only:
                y, target = decoder_step(model, x, continuous, a.freeze_trunk)
            else:
                y, target, _ = model(x, continuous=continuous)
        loss, parts = recon_loss(y, target, a.ssim_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        with torch.no_grad():
            d = min(a.ema, (1 + step) / (10 + step))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.lerp_(pm, 1 - d)
        step += 1
        log.writerow([step, round(time.time() - t0, 1), f"{opt.param_groups[0]['lr']:.2e}", f"{loss.item():.5f}",
                      f"{parts['l1']:.5f}", f"{parts['ssim']:.4f}", f"{psnr(y.detach(), target):.2f}",
                      int(continuous), int(images)])
        if step % 20 == 0:
            logf.flush()
            print(f"step {step} loss {loss.item():.4f} l1 {parts['l1']:.4f} {(time.time()-t0)/max(1,step-step0):.2f}s/step",
                  flush=True)
        if step % a.ckpt_every == 0:
            save_ckpt(ck, model, ema, opt, step, sampler, a)
            plot(a.run)
    save_ckpt(ck, model, ema, opt, step, sampler, a)
    logf.close()
    plot(a.run)
    print(f"done at step {step}", flush=True)


if __name__ == "__main__":
    main()
