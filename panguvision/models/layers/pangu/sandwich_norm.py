"""Depth-scaled sandwich norm (DSSN) and TinyInit (Pangu Ultra).

A DSSN residual branch is ``h = h + Norm_post(F(Norm_pre(h)))``: the post-norm bounds what each branch adds to the
residual stream, and initialising its gains to ``c / sqrt(L)`` (L layers) makes the L branches together add an RMS of
about ``c`` whatever the depth. TinyInit draws every linear / embedding weight from N(0, sqrt(1 / (2 d L))), d the
model width. Both are plain functions so any transformer following the GPT protocol (``norm1``, ``norm2``,
``post_norm1``, ``post_norm2`` with a ``.weight``) can use them; :class:`PanguDecoderBlock` in
``reference_transformer.py`` is a block built with them.
"""
import math

import torch.nn as nn


def sandwich_post_norm_gain(num_layers: int, c: float = 1.0) -> float:
    """The DSSN post-norm gain ``c / sqrt(L)``."""
    if num_layers < 1:
        raise ValueError(f'num_layers must be >= 1, got {num_layers}')
    return c / math.sqrt(num_layers)


def init_sandwich_post_norm_(norm: nn.Module, num_layers: int, c: float = 1.0) -> nn.Module:
    """Set a post-norm's gain vector ``norm.weight`` (D,) to ``c / sqrt(L)`` in place; returns the norm."""
    if getattr(norm, 'weight', None) is None:
        raise ValueError(f'{type(norm).__name__} has no gain vector .weight (elementwise_affine=False?)')
    nn.init.constant_(norm.weight, sandwich_post_norm_gain(num_layers, c))
    return norm


def tiny_init_std(d_model: int, num_layers: int) -> float:
    """TinyInit standard deviation ``sqrt(1 / (2 d L))``."""
    if d_model < 1 or num_layers < 1:
        raise ValueError(f'd_model and num_layers must be >= 1, got {d_model}, {num_layers}')
    return math.sqrt(1.0 / (2 * d_model * num_layers))


def tiny_init_(module: nn.Module, d_model: int, num_layers: int) -> nn.Module:
    """TinyInit in place: every nn.Linear / nn.Embedding weight inside ``module`` ~ N(0, sqrt(1 / (2 d L))), biases
    zero; norms and other parameters are left alone. Returns the module."""
    std = tiny_init_std(d_model, num_layers)
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=std)
            if getattr(m, 'bias', None) is not None:
                nn.init.zeros_(m.bias)
    return module
