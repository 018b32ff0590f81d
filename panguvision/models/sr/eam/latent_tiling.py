"""Tiled latent denoising: one transformer call per overlapping latent tile, blended with a smooth window.

Unlike :func:`panguvision.models.sr.tiling.tiled_forward` (which keeps tile centres, exact for networks with a small
receptive field), a DiT attends over the whole tile, so neighbouring tiles disagree a little in their overlap. Every
denoising step therefore blends the tiles' velocities with a separable sine window (largest at the tile centre,
small but non-zero at its border): the blended field varies smoothly across tile borders, and because this happens
at every step the sampler's trajectory stays seamless (MultiDiffusion-style averaging).
"""
import math
from typing import Callable

import torch

from panguvision.models.sr.tiling import _tile_starts

__all__ = ['sine_window', 'tiled_denoise']


def sine_window(h: int, w: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """``(1, 1, h, w)`` separable window ``sin(pi (i + 0.5) / h) * sin(pi (j + 0.5) / w)``, in ``(0, 1]``."""
    wy = torch.sin(math.pi * (torch.arange(h, device=device, dtype=dtype) + 0.5) / h)
    wx = torch.sin(math.pi * (torch.arange(w, device=device, dtype=dtype) + 0.5) / w)
    return (wy[:, None] * wx[None, :])[None, None]


def tiled_denoise(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], noisy: torch.Tensor, lr: torch.Tensor,
                  tile: int, overlap: int, multiple: int = 1) -> torch.Tensor:
    """Apply ``fn(noisy_tile, lr_tile) -> prediction_tile`` over overlapping latent tiles and blend.

    Args:
        fn: the denoiser on aligned latent tiles ``(B, C, t, t)`` -> ``(B, C', t, t)``.
        noisy, lr: latents ``(B, C, H, W)`` (same shape).
        tile: tile side in latent pixels (a multiple of ``multiple``).
        overlap: overlap between neighbouring tiles in latent pixels (``0 <= overlap < tile``).
        multiple: tile offsets are multiples of it (the transformer's patch size).

    Returns:
        ``(B, C', H, W)``; exactly ``fn(noisy, lr)`` when one tile covers the latent.
    """
    if tile <= 0 or not 0 <= overlap < tile or tile % multiple or overlap % multiple:
        raise ValueError(f'tiled_denoise: need 0 <= overlap < tile, both multiples of {multiple}; '
                         f'got tile={tile}, overlap={overlap}')
    h, w = noisy.shape[-2:]
    if h % multiple or w % multiple:
        raise ValueError(f'tiled_denoise: latent size {h}x{w} must be a multiple of {multiple}')
    if h <= tile and w <= tile:
        return fn(noisy, lr)
    th, tw = min(tile, h), min(tile, w)
    window = sine_window(th, tw, device=noisy.device, dtype=noisy.dtype)
    out, weight = None, torch.zeros_like(noisy[:1, :1])
    for top in _tile_starts(h, th, tile - overlap):
        for left in _tile_starts(w, tw, tile - overlap):
            sl = (Ellipsis, slice(top, top + th), slice(left, left + tw))
            pred = fn(noisy[sl], lr[sl])
            if out is None:
                out = noisy.new_zeros(noisy.shape[0], pred.shape[1], h, w)
            out[sl] += pred * window
            weight[sl] += window
    return out / weight
