"""MATLAB-compatible bicubic ``imresize``.

Reproduces MATLAB's ``imresize(img, scale, 'bicubic')`` (Image Processing Toolbox), the resize used to make the
low-resolution inputs of every classic super-resolution benchmark (DIV2K, Set5, Set14, B100, Urban100, Manga109):

- cubic convolution kernel with ``a = -0.5`` (Keys), support ``[-2, 2]``;
- antialiasing on downscale: the kernel is stretched by ``1 / scale`` (and its height scaled by ``scale``);
- MATLAB's sample mapping ``u = x / scale + 0.5 * (1 - 1 / scale)`` (1-based ``x``), weights normalised per output
  sample, and out-of-range taps folded back with symmetric (mirror, edge-repeating) padding;
- when a ``scale`` is given the output size is ``ceil(scale * in)``; when an ``output_shape`` is given the scale of each
  dimension is ``out / in``;
- dimensions are resized one at a time, the one reduced most first (height first on ties), and for ``uint8`` input
  the intermediate result is rounded to ``uint8`` as MATLAB does.

:func:`imresize` is the torch implementation (``(C, H, W)`` or ``(N, C, H, W)`` float tensors, any device, batched);
:func:`imresize_np` is the numpy front-end for ``(H, W, C)`` / ``(H, W)`` arrays.
"""
import math
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch

__all__ = ['cubic_kernel', 'resize_weight_matrix', 'imresize', 'imresize_np']

KERNEL_WIDTH = 4.0  # support of the cubic kernel, in input samples


def cubic_kernel(x: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution kernel with ``a = -0.5`` (MATLAB's ``cubic``), evaluated element-wise."""
    absx = x.abs()
    absx2 = absx * absx
    absx3 = absx2 * absx
    near = (1.5 * absx3 - 2.5 * absx2 + 1.0) * (absx <= 1)
    far = (-0.5 * absx3 + 2.5 * absx2 - 4.0 * absx + 2.0) * ((absx > 1) & (absx <= 2))
    return near + far


def resize_weight_matrix(in_length: int,
                         out_length: int,
                         scale: float,
                         antialiasing: bool = True,
                         device: Union[str, torch.device, None] = None) -> torch.Tensor:
    """Dense matrix ``W`` of MATLAB's bicubic resize along one dimension, so that ``out = W @ in``.

    Follows MATLAB's ``contributions``: output sample ``x`` (1-based) maps to input coordinate
    ``u = x / scale + 0.5 * (1 - 1 / scale)``; taps ``floor(u - width / 2) + (0 .. ceil(width) + 1)`` are weighted by
    the (antialiased when ``scale < 1``) cubic kernel, normalised to sum to one, and out-of-range taps are mirrored
    into ``[1, in_length]`` (``aux = [1 .. n, n .. 1]``) and accumulated.

    Args:
        in_length: number of input samples along the dimension.
        out_length: number of output samples.
        scale: ``out / in`` resize factor used for the sample mapping (MATLAB keeps the user's scale even when
            ``ceil`` rounds the output length).
        antialiasing: stretch the kernel on downscale (MATLAB default ``true``).
        device: device of the returned matrix.

    Returns:
        ``torch.float64`` tensor of shape ``(out_length, in_length)``; each row sums to one.
    """
    if scale < 1 and antialiasing:
        kernel_width = KERNEL_WIDTH / scale
        kernel_scale = scale
    else:
        kernel_width = KERNEL_WIDTH
        kernel_scale = 1.0
    x = torch.arange(1, out_length + 1, dtype=torch.float64, device=device)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = torch.floor(u - kernel_width / 2)
    num_taps = int(math.ceil(kernel_width)) + 2
    taps = left[:, None] + torch.arange(num_taps, dtype=torch.float64, device=device)[None, :]
    weights = kernel_scale * cubic_kernel(kernel_scale * (u[:, None] - taps))
    weights = weights / weights.sum(dim=1, keepdim=True)
    # Symmetric padding: 1-based tap t -> aux[(t - 1) mod 2n] with aux = [1 .. n, n .. 1]; here 0-based.
    period = 2 * in_length
    folded = torch.remainder(taps.long() - 1, period)
    folded = torch.where(folded >= in_length, period - 1 - folded, folded)
    matrix = torch.zeros(out_length, in_length, dtype=torch.float64, device=device)
    matrix.scatter_add_(1, folded, weights)
    return matrix


def _resolve_shape_and_scales(in_shape: Tuple[int, int], scale: Optional[float],
                              output_shape: Optional[Sequence[int]]) -> Tuple[Tuple[int, int], Tuple[float, float]]:
    """MATLAB's rule: a scale gives ``ceil(scale * in)``; an output shape gives per-dimension scales ``out / in``."""
    if (scale is None) == (output_shape is None):
        raise ValueError('imresize needs exactly one of `scale` or `output_shape`, '
                         f'got scale={scale!r}, output_shape={output_shape!r}')
    if scale is not None:
        if scale <= 0:
            raise ValueError(f'imresize scale must be positive, got {scale!r}')
        out_shape = tuple(int(math.ceil(scale * n)) for n in in_shape)
        return out_shape, (float(scale), float(scale))
    out_shape = tuple(int(n) for n in output_shape)
    if len(out_shape) != 2 or min(out_shape) <= 0:
        raise ValueError(f'imresize output_shape must be two positive ints (h, w), got {output_shape!r}')
    return out_shape, (out_shape[0] / in_shape[0], out_shape[1] / in_shape[1])


def _resize_plan(in_shape: Tuple[int, int], scale: Optional[float], output_shape: Optional[Sequence[int]],
                 antialiasing: bool, device) -> list:
    """``[(dim, weight_matrix), ...]`` in MATLAB's order (most-reduced dimension first); dim 0 = H, 1 = W."""
    out_shape, scales = _resolve_shape_and_scales(in_shape, scale, output_shape)
    order = sorted(range(2), key=lambda d: scales[d])  # stable: height first on ties, like MATLAB's sort
    return [(d, resize_weight_matrix(in_shape[d], out_shape[d], scales[d], antialiasing, device)) for d in order]


def _apply_along(img: torch.Tensor, dim: int, matrix: torch.Tensor) -> torch.Tensor:
    """Resize ``img`` (``(..., H, W)``) along H (``dim=0``) or W (``dim=1``) with a ``(out, in)`` matrix."""
    matrix = matrix.to(img.dtype)
    if dim == 0:
        return torch.matmul(matrix, img)
    return torch.matmul(img, matrix.transpose(0, 1))


def imresize(img: torch.Tensor,
             scale: Optional[float] = None,
             output_shape: Optional[Sequence[int]] = None,
             antialiasing: bool = True) -> torch.Tensor:
    """MATLAB ``imresize(img, scale, 'bicubic')`` on float tensors.

    Args:
        img: float tensor ``(C, H, W)`` or ``(N, C, H, W)`` on any device; any value range (no clamping, so the
            cubic overshoot is kept, e.g. slightly outside ``[0, 1]`` for ``[0, 1]`` images).
        scale: resize factor, output size ``ceil(scale * H), ceil(scale * W)``; ``0.25`` for x4 downscale.
        output_shape: ``(h, w)`` instead of ``scale``.
        antialiasing: antialias on downscale (MATLAB's default).

    Returns:
        Tensor ``(C, h, w)`` or ``(N, C, h, w)``, same dtype and device as ``img``.
    """
    if img.dim() not in (3, 4):
        raise ValueError(f'imresize expects a (C, H, W) or (N, C, H, W) tensor, got shape {tuple(img.shape)}')
    if not img.is_floating_point():
        raise TypeError(f'imresize expects a floating-point tensor, got {img.dtype}; use imresize_np for uint8 arrays')
    out = img
    for dim, matrix in _resize_plan(tuple(img.shape[-2:]), scale, output_shape, antialiasing, img.device):
        out = _apply_along(out, dim, matrix)
    return out


def _round_to_uint8(x: torch.Tensor) -> torch.Tensor:
    """MATLAB's double -> uint8 conversion: round half away from zero, saturate to ``[0, 255]`` (kept as float)."""
    return torch.floor(x + 0.5).clamp_(0, 255)


def imresize_np(img: np.ndarray,
                scale: Optional[float] = None,
                output_shape: Optional[Sequence[int]] = None,
                antialiasing: bool = True) -> np.ndarray:
    """MATLAB ``imresize(img, scale, 'bicubic')`` on numpy images.

    Args:
        img: ``(H, W, C)`` or ``(H, W)`` array. ``uint8`` (values ``[0, 255]``) or float (any range).
        scale: resize factor (see :func:`imresize`).
        output_shape: ``(h, w)`` instead of ``scale``.
        antialiasing: antialias on downscale.

    Returns:
        ``(h, w, C)`` / ``(h, w)`` array. ``uint8`` input gives ``uint8`` output rounded like MATLAB (also after the
        first of the two 1-D passes, as MATLAB does); float input gives float64 output.
    """
    if img.ndim not in (2, 3):
        raise ValueError(f'imresize_np expects an (H, W) or (H, W, C) array, got shape {img.shape}')
    is_uint8 = img.dtype == np.uint8
    chw = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float64))
    chw = chw[None] if img.ndim == 2 else chw.permute(2, 0, 1)
    for dim, matrix in _resize_plan(img.shape[:2], scale, output_shape, antialiasing, 'cpu'):
        chw = _apply_along(chw, dim, matrix)
        if is_uint8:
            chw = _round_to_uint8(chw)
    out = chw[0] if img.ndim == 2 else chw.permute(1, 2, 0)
    out = out.numpy()
    return out.astype(np.uint8) if is_uint8 else out
