"""Real spherical harmonics of unit vectors, used to embed camera rays.

Hand-written because none of the installed libraries evaluates them on torch tensors (``scipy.special.sph_harm`` is
numpy-only and complex-valued; e3nn is not a dependency). The basis is the orthonormal real one:

``Y_l^0 = K_l^0 P_l^0(z)``, ``Y_l^m = sqrt(2) K_l^m P_l^m(z) cos(m lon)``,
``Y_l^-m = sqrt(2) K_l^m P_l^m(z) sin(m lon)``,
``K_l^m = sqrt((2l + 1) / (4 pi) (l - m)! / (l + m)!)``, evaluated without trigonometry through
``P_l^m(z) = Q_l^m(z) (1 - z^2)^(m/2)`` and ``(1 - z^2)^(m/2) e^(i m lon) = (x + i y)^m`` (the Condon-Shortley sign
is dropped; it does not change orthonormality). ``Q_l^m`` follows the standard three-term recurrence in ``l``.
Degrees ``0..L`` give ``(L + 1)^2`` functions: 81 for ``L = 8``, as in UniDepth.
"""
import math

import torch

__all__ = ['num_sh_basis', 'real_spherical_harmonics']


def num_sh_basis(max_degree: int) -> int:
    """Number of real SH functions of degrees ``0..max_degree``."""
    return (max_degree + 1)**2


def real_spherical_harmonics(dirs: torch.Tensor, max_degree: int = 8) -> torch.Tensor:
    """Real spherical harmonics of unit vectors.

    Args:
        dirs: ``(..., 3)`` unit vectors ``(x, y, z)``.
        max_degree: highest degree ``L``.

    Returns:
        ``(..., (L + 1)^2)``; entry ``l^2 + l + m`` is ``Y_l^m`` (``m = -l..l``). Orthonormal on the sphere:
        ``integral Y_a Y_b dOmega = delta_ab``.
    """
    if dirs.shape[-1] != 3:
        raise ValueError(f'real_spherical_harmonics: expected (..., 3) unit vectors, got {tuple(dirs.shape)}')
    if max_degree < 0:
        raise ValueError(f'max_degree must be >= 0, got {max_degree}')
    x, y, z = dirs.unbind(-1)
    out = [None] * num_sh_basis(max_degree)
    # (x + iy)^m as real / imaginary parts, m = 0..L.
    re, im = [torch.ones_like(x)], [torch.zeros_like(x)]
    for _ in range(max_degree):
        re.append(re[-1] * x - im[-1] * y)
        im.append(re[-2] * y + im[-1] * x)
    for m in range(max_degree + 1):
        q_prev2, q_prev = None, torch.full_like(z, float(math.prod(range(1, 2 * m, 2))))  # (2m - 1)!!
        for lvl in range(m, max_degree + 1):
            if lvl == m:
                q = q_prev
            elif lvl == m + 1:
                q = z * (2 * m + 1) * q_prev
            else:
                q = ((2 * lvl - 1) * z * q_prev - (lvl + m - 1) * q_prev2) / (lvl - m)
            if lvl > m:
                q_prev2, q_prev = q_prev, q
            norm = math.sqrt((2 * lvl + 1) / (4 * math.pi) * math.factorial(lvl - m) / math.factorial(lvl + m))
            base = lvl * lvl + lvl
            if m == 0:
                out[base] = norm * q
            else:
                out[base + m] = math.sqrt(2) * norm * q * re[m]
                out[base - m] = math.sqrt(2) * norm * q * im[m]
    return torch.stack(out, dim=-1)
