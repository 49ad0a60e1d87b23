"""The versioned architecture config that travels inside the weights file (safetensors metadata).

The encoder and decoder are each a flat list of ops. The Swift engine walks the same list, so the graph is
built from the file, never from hard-coded shapes. Op kinds (all tensors (B, C, T, H, W) here; the engine
uses (t, h, w, c) channels-last):

  patchify   {t, s}             (3, 4L-3.., H, W) -> (3*t*s*s, L, H/s, W/s); see model.py for the channel order
  conv       {name, cin, cout, kt, ks}  causal in time (kt-1 zero frames of past), zero 'same' padding in space
  res        {name, c, kt}      x + conv2(silu(norm2(conv1(silu(norm1(x)))))), conv1 (kt,3,3), conv2 (1,3,3)
  s2d        {f}                space-to-depth by f: (C, H, W) -> (C*f*f, H/f, W/f)
  d2s        {f}                depth-to-space by f: (C*f*f, H, W) -> (C, H*f, W*f)
  norm       {name, c}          RMS norm over channels at each position (no statistics across t, h, w)
  silu       {}
  d2t        {f}                depth-to-time by f (config version 2): (C*f, L, H, W) -> (C, L*f, H, W); input
                                channel c*f + dt goes to output frame l*f + dt. Layers after it run at f times
                                the rate of layers before it, each with its own causal past at its own rate.
  unpatchify {t, s}             (3*t*s*s, L, h, w) -> (3, t*L, h*s, w*s)

Versions: 1 = the ops above without d2t (vtok-4x8x8's first decoder); 2 adds d2t. A reader of version 2 reads
version 1 files unchanged. In the decoder, the product of every d2t factor and the unpatchify t is the temporal
factor: one latent frame always yields temporal_factor frames.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

CONFIG_VERSION = 2          # the newest version this code reads and writes
SUPPORTED_VERSIONS = (1, 2)


class ConfigError(ValueError):
    pass


def default_encoder() -> list[dict]:
    return [
        {"op": "patchify", "t": 4, "s": 4},                                   # -> 192 @ H/4
        {"op": "conv", "name": "enc.conv_in", "cin": 192, "cout": 64, "kt": 1, "ks": 3},
        {"op": "res", "name": "enc.res0", "c": 64, "kt": 2},
        {"op": "s2d", "f": 2},                                                # -> 256 @ H/8
        {"op": "conv", "name": "enc.down", "cin": 256, "cout": 128, "kt": 1, "ks": 1},
        {"op": "res", "name": "enc.res1", "c": 128, "kt": 2},
        {"op": "res", "name": "enc.res2", "c": 128, "kt": 2},
        {"op": "norm", "name": "enc.norm_out", "c": 128},
        {"op": "silu"},
        {"op": "conv", "name": "enc.conv_out", "cin": 128, "cout": 6, "kt": 1, "ks": 1},
    ]


def default_decoder() -> list[dict]:
    return [
        {"op": "conv", "name": "dec.conv_in", "cin": 6, "cout": 256, "kt": 2, "ks": 3},
        {"op": "res", "name": "dec.res0", "c": 256, "kt": 2},
        {"op": "res", "name": "dec.res1", "c": 256, "kt": 2},
        {"op": "conv", "name": "dec.up", "cin": 256, "cout": 512, "kt": 1, "ks": 1},
        {"op": "d2s", "f": 2},                                                # -> 128 @ H/4
        {"op": "res", "name": "dec.res2", "c": 128, "kt": 2},
        {"op": "res", "name": "dec.res3", "c": 128, "kt": 2},
        {"op": "norm", "name": "dec.norm_out", "c": 128},
        {"op": "silu"},
        {"op": "conv", "name": "dec.conv_out", "cin": 128, "cout": 192, "kt": 1, "ks": 3},
        {"op": "unpatchify", "t": 4, "s": 4},                                 # -> 3 @ H, 4 frames per latent
    ]


def decoder_v2() -> list[dict]:
    """The second-generation decoder: the first decoder's trunk (same names, so it starts from the released
    weights), then progressive upsampling in time (1 -> 2 -> 4 frames per latent) and space (H/4 -> H/2 -> H)
    instead of one linear unpatchify of 4 frames from H/4. 7.7 GFLOP per output frame at 256x256."""
    trunk = default_decoder()[:7]                                           # ... res3: 128 @ H/4, 1 step/latent
    return trunk + [
        {"op": "conv", "name": "dec.tup1", "cin": 128, "cout": 256, "kt": 1, "ks": 1},
        {"op": "d2t", "f": 2},                                                # -> 128 @ H/4, 2 frames/latent
        {"op": "res", "name": "dec.res4", "c": 128, "kt": 2},
        {"op": "conv", "name": "dec.up2", "cin": 128, "cout": 256, "kt": 1, "ks": 1},
        {"op": "d2t", "f": 2},                                                # -> 128 @ H/4, 4 frames/latent
        {"op": "d2s", "f": 2},                                                # -> 32 @ H/2
        {"op": "res", "name": "dec.res5", "c": 32, "kt": 2},
        {"op": "res", "name": "dec.res6", "c": 32, "kt": 2},
        {"op": "conv", "name": "dec.up3", "cin": 32, "cout": 64, "kt": 1, "ks": 1},
        {"op": "d2s", "f": 2},                                                # -> 16 @ H
        {"op": "norm", "name": "dec.norm_out", "c": 16},
        {"op": "silu"},
        {"op": "conv", "name": "dec.conv_out", "cin": 16, "cout": 3, "kt": 1, "ks": 3},
        {"op": "unpatchify", "t": 1, "s": 1},                                 # -> 3 @ H, 1 frame per step
    ]


@dataclass
class ModelConfig:
    name: str = "vtok-4x8x8"
    version: int = 1
    fsq_levels: list[int] = field(default_factory=lambda: [8, 8, 8, 5, 5, 5])
    temporal_factor: int = 4
    spatial_factor: int = 8
    # Contract for the start of a stream: the first group is frame 0 repeated temporal_factor times;
    # every causal temporal convolution starts from kt-1 frames of zeros.
    first_group: str = "replicate"
    causal_padding: str = "zeros"
    # Input pixels are RGB in [0, 255] mapped to [-1, 1] by x / 127.5 - 1; output is mapped back and clamped.
    pixel_range: str = "rgb_minus1_1"
    norm_eps: float = 1e-6
    fsq_eps: float = 1e-3
    encoder: list[dict] = field(default_factory=default_encoder)
    decoder: list[dict] = field(default_factory=default_decoder)

    @property
    def latent_channels(self) -> int:
        return len(self.fsq_levels)

    @property
    def vocab_size(self) -> int:
        n = 1
        for level in self.fsq_levels:
            n *= level
        return n

    def to_json(self) -> str:
        return json.dumps(self.__dict__, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ModelConfig":
        raw = json.loads(text)
        if raw.get("version") not in SUPPORTED_VERSIONS:
            raise ConfigError(f"unsupported config version {raw.get('version')!r}, expected one of {SUPPORTED_VERSIONS}")
        cfg = cls(**raw)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if self.first_group != "replicate" or self.causal_padding != "zeros":
            raise ConfigError("only first_group=replicate and causal_padding=zeros are defined")
        if self.encoder[0]["op"] != "patchify" or self.decoder[-1]["op"] != "unpatchify":
            raise ConfigError("encoder must start with patchify and decoder end with unpatchify")
        if self.encoder[0]["t"] != self.temporal_factor:
            raise ConfigError("patchify t must equal temporal_factor")
        uses_d2t = any(op["op"] == "d2t" for op in self.encoder + self.decoder)
        if uses_d2t and self.version < 2:
            raise ConfigError("op d2t needs config version 2")
        if any(op["op"] == "d2t" for op in self.encoder):
            raise ConfigError("d2t is a decoder op")
        t_up = self.decoder[-1]["t"]
        for op in self.decoder:
            if op["op"] == "d2t":
                t_up *= op["f"]
        if t_up != self.temporal_factor:
            raise ConfigError(f"decoder yields {t_up} frames per latent, temporal_factor is {self.temporal_factor}")
        for lv in self.fsq_levels:
            if lv < 2:
                raise ConfigError(f"FSQ level {lv} < 2")
