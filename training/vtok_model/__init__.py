"""vtok reference model: causal 3D-conv video tokeniser with FSQ (PyTorch).

The Swift engine (Sources/VtokEngine) implements exactly this contract; see docs/model.md.
"""
from .config import ModelConfig, CONFIG_VERSION
from .fsq import FSQ
from .model import Tokenizer

__all__ = ["ModelConfig", "CONFIG_VERSION", "FSQ", "Tokenizer"]
