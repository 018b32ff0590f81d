"""Blur kernels of the Real-ESRGAN degradation model (Wang et al., ICCV-W 2021, section 3.1).

All kernels are ``(k, k)`` float64 numpy arrays that sum to one, with an odd ``k`` and the centre at ``k // 2``.
Coordinates: ``x`` runs along columns (left to right), ``y`` along rows (top to bottom), in pixels from the centre.
A ``rotation`` ``theta`` (radians) turns the kernel's first principal axis (the one with ``sigma_x``) from the
``+x`` axis towards ``+y``, i.e. clockwise as displayed on screen.

Family (with ``M = x^T Sigma^-1 x`` and ``Sigma = R(theta) diag(sigma_x^2, sigma_y^2) R(theta)^T``):

- Gaussian: ``exp(-M / 2)`` (isotropic when ``sigma_x == sigma_y``);
- generalised Gaussian: ``exp(-M^beta / 2)`` (``beta < 1`` heavy tails, ``beta > 1`` flat top);
- plateau: ``1 / (1 + M^beta)``;
- sinc: the ideal circular low-pass filter with cut-off ``omega_c`` (rad / pixel), ``omega_c J1(omega_c r) /
  (2 pi r)``, which produces ringing and overshoot artefacts.

Written here (not taken from a library) because neither OpenCV nor scikit-image nor scipy provides anisotropic
generalised-Gaussian / plateau kernels or a 2-D circular sinc kernel; Bessel's ``J1`` comes from scipy.
"""
import math
from typing import Optional, Sequence, Tuple

import numpy as np

__all__ = [
    'KERNEL_TYPES', 'mesh_grid', 'sigma_matrix', 'generalized_gaussian_kernel', 'plateau_kernel', 'sinc_kernel',
    'pad_kernel', 'pulse_kernel', 'random_mixed_kernel', 'random_sinc_kernel'
]

# Real-ESRGAN's kernel families; the 'generalized' / 'plateau' names are the published ones.
KERNEL_TYPES = ('iso', 'aniso', 'generalized_iso', 'generalized_aniso', 'plateau_iso', 'plateau_aniso')


def _check_size(kernel_size: int) -> int:
    kernel_size = int(kernel_size)
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f'kernel_size must be a positive odd integer, got {kernel_size}')
    return kernel_size


def mesh_grid(kernel_size: int) -> np.ndarray:
    """``(k, k, 2)`` array of ``(x, y)`` pixel offsets from the centre (x along columns, y along rows)."""
    kernel_size = _check_size(kernel_size)
    ax = np.arange(kernel_size, dtype=np.float64) - kernel_size // 2
    xx, yy = np.meshgrid(ax, ax)  # xx varies along columns, yy along rows
    return np.stack([xx, yy], axis=-1)


def sigma_matrix(sigma_x: float, sigma_y: float, rotation: float) -> np.ndarray:
    """``(2, 2)`` covariance ``R diag(sigma_x^2, sigma_y^2) R^T`` of a kernel rotated by ``rotation`` radians."""
    if sigma_x <= 0 or sigma_y <= 0:
        raise ValueError(f'kernel sigmas must be positive, got sigma_x={sigma_x}, sigma_y={sigma_y}')
    cos, sin = math.cos(rotation), math.sin(rotation)
    rot = np.array([[cos, -sin], [sin, cos]])
    return rot @ np.diag([sigma_x**2, sigma_y**2]) @ rot.T


def _mahalanobis(kernel_size: int, sigma_x: float, sigma_y: float, rotation: float) -> np.ndarray:
    """``(k, k)`` squared Mahalanobis distance ``x^T Sigma^-1 x`` of every kernel tap."""
    grid = mesh_grid(kernel_size)
    inv = np.linalg.inv(sigma_matrix(sigma_x, sigma_y, rotation))
    return np.einsum('...i,ij,...j->...', grid, inv, grid)


def _normalise(kernel: np.ndarray) -> np.ndarray:
    return kernel / kernel.sum()


def generalized_gaussian_kernel(kernel_size: int,
                                sigma_x: float,
                                sigma_y: Optional[float] = None,
                                rotation: float = 0.0,
                                beta: float = 1.0) -> np.ndarray:
    """``exp(-(x^T Sigma^-1 x)^beta / 2)``, normalised; ``beta = 1`` is the plain Gaussian.

    Args:
        kernel_size: odd side ``k``.
        sigma_x: standard deviation along the first principal axis, in pixels.
        sigma_y: along the second axis; ``None`` means isotropic (``sigma_x``).
        rotation: angle of the first axis, radians (see the module docstring).
        beta: shape exponent (> 0).

    Returns:
        ``(k, k)`` float64 kernel summing to one.
    """
    if beta <= 0:
        raise ValueError(f'beta must be positive, got {beta}')
    sigma_y = sigma_x if sigma_y is None else sigma_y
    dist = _mahalanobis(kernel_size, sigma_x, sigma_y, rotation)
    return _normalise(np.exp(-0.5 * np.power(dist, beta)))


def plateau_kernel(kernel_size: int,
                   sigma_x: float,
                   sigma_y: Optional[float] = None,
                   rotation: float = 0.0,
                   beta: float = 1.0) -> np.ndarray:
    """Plateau-shaped kernel ``1 / (1 + (x^T Sigma^-1 x)^beta)``, normalised; arguments as
    :func:`generalized_gaussian_kernel`."""
    if beta <= 0:
        raise ValueError(f'beta must be positive, got {beta}')
    sigma_y = sigma_x if sigma_y is None else sigma_y
    dist = _mahalanobis(kernel_size, sigma_x, sigma_y, rotation)
    return _normalise(1.0 / (1.0 + np.power(dist, beta)))


def sinc_kernel(kernel_size: int, cutoff: float, pad_to: int = 0) -> np.ndarray:
    """2-D circular sinc (ideal low-pass) kernel ``omega_c J1(omega_c r) / (2 pi r)``, normalised.

    Args:
        kernel_size: odd side ``k``.
        cutoff: cut-off frequency ``omega_c`` in radians per pixel, in ``(0, pi]``.
        pad_to: zero-pad the result to this odd side when larger than ``k``.

    Returns:
        ``(max(k, pad_to), max(k, pad_to))`` float64 kernel summing to one.
    """
    from scipy.special import j1
    if not 0 < cutoff <= math.pi + 1e-9:
        raise ValueError(f'sinc cutoff must be in (0, pi], got {cutoff}')
    grid = mesh_grid(kernel_size)
    r = np.hypot(grid[..., 0], grid[..., 1])
    with np.errstate(divide='ignore', invalid='ignore'):
        kernel = cutoff * j1(cutoff * r) / (2 * math.pi * r)
    kernel[r == 0] = cutoff**2 / (4 * math.pi)  # limit of the expression at r -> 0
    return pad_kernel(_normalise(kernel), pad_to)


def pad_kernel(kernel: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad a ``(k, k)`` kernel symmetrically to ``(size, size)`` (returned unchanged when ``size <= k``)."""
    k = kernel.shape[0]
    if size <= k:
        return kernel
    if (size - k) % 2:
        raise ValueError(f'cannot centre a {k}x{k} kernel in {size}x{size}: sizes must both be odd')
    pad = (size - k) // 2
    return np.pad(kernel, ((pad, pad), (pad, pad)))


def pulse_kernel(size: int) -> np.ndarray:
    """The identity kernel (one at the centre), ``(size, size)``."""
    kernel = np.zeros((_check_size(size), size))
    kernel[size // 2, size // 2] = 1.0
    return kernel


def _uniform_beta(rng: np.random.Generator, beta_range: Sequence[float]) -> float:
    """Shape exponent as Real-ESRGAN draws it: half the time from ``[low, 1)``, half from ``[1, high)``."""
    low, high = beta_range
    return rng.uniform(low, 1.0) if rng.uniform() < 0.5 else rng.uniform(1.0, high)


def random_mixed_kernel(rng: np.random.Generator,
                        kernel_size: int,
                        kernel_list: Sequence[str] = KERNEL_TYPES,
                        kernel_prob: Sequence[float] = (0.45, 0.25, 0.12, 0.03, 0.12, 0.03),
                        sigma_range: Tuple[float, float] = (0.2, 3.0),
                        rotation_range: Tuple[float, float] = (-math.pi, math.pi),
                        betag_range: Tuple[float, float] = (0.5, 4.0),
                        betap_range: Tuple[float, float] = (1.0, 2.0)) -> Tuple[np.ndarray, dict]:
    """Draw one kernel of a random family with random parameters.

    Args:
        rng: numpy generator (all randomness comes from it).
        kernel_size: odd side of the kernel.
        kernel_list: families to choose from (:data:`KERNEL_TYPES`).
        kernel_prob: probability of each family (normalised here).
        sigma_range: uniform range of the sigmas, pixels; isotropic kernels use one draw.
        rotation_range: uniform range of the anisotropic rotation, radians.
        betag_range: shape range of the generalised Gaussians.
        betap_range: shape range of the plateau kernels.

    Returns:
        ``(kernel, params)`` with the ``(k, k)`` kernel and the drawn parameters (``type``, ``sigma_x``, ...).
    """
    if len(kernel_list) != len(kernel_prob):
        raise ValueError(f'kernel_list {list(kernel_list)} and kernel_prob {list(kernel_prob)} differ in length')
    unknown = sorted(set(kernel_list) - set(KERNEL_TYPES))
    if unknown:
        raise ValueError(f'unknown kernel types {unknown}; expected some of {KERNEL_TYPES}')
    prob = np.asarray(kernel_prob, dtype=np.float64)
    kind = kernel_list[rng.choice(len(kernel_list), p=prob / prob.sum())]
    sigma_x = rng.uniform(*sigma_range)
    if kind.endswith('aniso'):
        sigma_y = rng.uniform(*sigma_range)
        rotation = rng.uniform(*rotation_range)
    else:
        sigma_y, rotation = sigma_x, 0.0
    if kind.startswith('generalized'):
        beta = _uniform_beta(rng, betag_range)
        kernel = generalized_gaussian_kernel(kernel_size, sigma_x, sigma_y, rotation, beta)
    elif kind.startswith('plateau'):
        beta = _uniform_beta(rng, betap_range)
        kernel = plateau_kernel(kernel_size, sigma_x, sigma_y, rotation, beta)
    else:
        beta = 1.0
        kernel = generalized_gaussian_kernel(kernel_size, sigma_x, sigma_y, rotation, beta)
    return kernel, dict(type=kind, sigma_x=sigma_x, sigma_y=sigma_y, rotation=rotation, beta=beta)


def random_sinc_kernel(rng: np.random.Generator,
                       kernel_size: int,
                       pad_to: int = 21,
                       cutoff_range: Optional[Tuple[float, float]] = None) -> Tuple[np.ndarray, float]:
    """Sinc kernel with a random cut-off, zero-padded to ``pad_to``; returns ``(kernel, cutoff)``.

    Without ``cutoff_range`` the cut-off follows Real-ESRGAN's blur stages: ``U(pi/3, pi)`` for ``k < 13``, else
    ``U(pi/5, pi)`` (larger kernels resolve lower cut-offs). Its final sinc filter uses ``cutoff_range=(pi/3, pi)``.
    """
    if cutoff_range is None:
        cutoff_range = (math.pi / 3 if kernel_size < 13 else math.pi / 5, math.pi)
    cutoff = rng.uniform(*cutoff_range)
    return sinc_kernel(kernel_size, cutoff, pad_to=pad_to), cutoff
