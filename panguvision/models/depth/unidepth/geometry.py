"""Camera geometry of UniDepth: dense rays from pinhole intrinsics and the pseudo-spherical output space.

Conventions (as in :mod:`panguvision.datasets.transforms.depth_transforms`): camera frame x right, y down, z forward;
integer pixel coordinates are pixel centres, 0-based; ``K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` in pixels.

Pseudo-spherical coordinates of a camera point ``(X, Y, Z)`` (``Z > 0``):

- azimuth ``theta = atan2(X, Z)`` (radians, the horizontal angle of the ray);
- elevation ``phi = atan2(Y, sqrt(X^2 + Z^2))`` (radians, the vertical angle of the ray);
- log-depth ``log Z`` (``Z`` in metres, the z-buffer depth that KITTI / NYU ground truth stores).

The unit ray of ``(theta, phi)`` is ``(sin(theta) cos(phi), sin(phi), cos(theta) cos(phi))``, hence the inverse
``X = Z tan(theta)``, ``Y = Z tan(phi) / cos(theta)``. The angles depend on the camera only, the log-depth on the
scene only: that is the separation UniDepth exploits.
"""
from typing import Tuple

import torch

__all__ = [
    'pixel_grid', 'generate_rays', 'rays_to_angles', 'angles_to_rays', 'spherical_to_points', 'points_to_spherical',
    'scale_intrinsics', 'normalize_intrinsics', 'denormalize_intrinsics'
]


def pixel_grid(height: int, width: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """``(H, W, 3)`` homogeneous pixel-centre coordinates ``(u, v, 1)``, ``u`` in ``0..W-1``, ``v`` in ``0..H-1``."""
    v, u = torch.meshgrid(torch.arange(height, device=device, dtype=dtype),
                          torch.arange(width, device=device, dtype=dtype), indexing='ij')
    return torch.stack([u, v, torch.ones_like(u)], dim=-1)


def generate_rays(intrinsics: torch.Tensor, shape: Tuple[int, int]) -> torch.Tensor:
    """Unit camera rays of every pixel: ``normalize(K^-1 (u, v, 1))``.

    Args:
        intrinsics: ``(B, 3, 3)`` pinhole matrices (pixels).
        shape: ``(H, W)`` of the image the intrinsics belong to.

    Returns:
        ``(B, H, W, 3)`` unit vectors in the camera frame.
    """
    if intrinsics.ndim != 3 or intrinsics.shape[-2:] != (3, 3):
        raise ValueError(f'generate_rays: expected (B, 3, 3) intrinsics, got {tuple(intrinsics.shape)}')
    K = intrinsics.float()
    grid = pixel_grid(shape[0], shape[1], device=K.device)
    dirs = torch.einsum('bij,hwj->bhwi', torch.linalg.inv(K), grid)
    return torch.nn.functional.normalize(dirs, dim=-1)


def rays_to_angles(rays: torch.Tensor) -> torch.Tensor:
    """``(..., 3)`` unit rays -> ``(..., 2)`` (azimuth, elevation) in radians."""
    x, y, z = rays.unbind(-1)
    return torch.stack([torch.atan2(x, z), torch.atan2(y, torch.sqrt(x * x + z * z))], dim=-1)


def angles_to_rays(angles: torch.Tensor) -> torch.Tensor:
    """``(..., 2)`` (azimuth, elevation) -> ``(..., 3)`` unit rays."""
    theta, phi = angles.unbind(-1)
    return torch.stack([theta.sin() * phi.cos(), phi.sin(), theta.cos() * phi.cos()], dim=-1)


def spherical_to_points(spherical: torch.Tensor) -> torch.Tensor:
    """Pseudo-spherical ``(B, 3, H, W)`` = (azimuth, elevation, log Z) -> camera points ``(B, 3, H, W)`` in metres."""
    theta, phi, log_z = spherical.unbind(1)
    z = log_z.exp()
    return torch.stack([z * theta.tan(), z * phi.tan() / theta.cos(), z], dim=1)


def points_to_spherical(points: torch.Tensor) -> torch.Tensor:
    """Camera points ``(B, 3, H, W)`` (``Z > 0``, metres) -> pseudo-spherical ``(B, 3, H, W)``."""
    x, y, z = points.unbind(1)
    return torch.stack([torch.atan2(x, z), torch.atan2(y, torch.sqrt(x * x + z * z)), z.log()], dim=1)


def scale_intrinsics(intrinsics: torch.Tensor, sx: float, sy: float) -> torch.Tensor:
    """``(B, 3, 3)`` K after resizing the image by ``(sx, sy)``, pixel-centre convention: ``fx' = sx fx``,
    ``cx' = (cx + 0.5) sx - 0.5`` (the same rule as the dataset transform ``DepthResize``)."""
    K = intrinsics.clone()
    K[:, 0, 0] = K[:, 0, 0] * sx
    K[:, 1, 1] = K[:, 1, 1] * sy
    K[:, 0, 2] = (K[:, 0, 2] + 0.5) * sx - 0.5
    K[:, 1, 2] = (K[:, 1, 2] + 0.5) * sy - 0.5
    return K


def normalize_intrinsics(raw: torch.Tensor, shape: Tuple[int, int]) -> torch.Tensor:
    """Camera-module output ``(B, 4)`` (unbounded) -> ``(B, 3, 3)`` K of an ``(H, W)`` image.

    ``fx = exp(raw0) max(H, W) / 2``, ``fy = exp(raw1) max(H, W) / 2`` (so 0 means a 90 degree field of view along
    the longer side), ``cx = sigmoid(raw2) W - 0.5``, ``cy = sigmoid(raw3) H - 0.5`` (0 means the image centre).
    """
    h, w = shape
    half = max(h, w) / 2.0
    K = raw.new_zeros(raw.shape[0], 3, 3)
    K[:, 0, 0] = raw[:, 0].exp() * half
    K[:, 1, 1] = raw[:, 1].exp() * half
    K[:, 0, 2] = raw[:, 2].sigmoid() * w - 0.5
    K[:, 1, 2] = raw[:, 3].sigmoid() * h - 0.5
    K[:, 2, 2] = 1.0
    return K


def denormalize_intrinsics(intrinsics: torch.Tensor, shape: Tuple[int, int], eps: float = 1e-6) -> torch.Tensor:
    """Inverse of :func:`normalize_intrinsics`: ``(B, 3, 3)`` K -> ``(B, 4)`` raw values."""
    h, w = shape
    half = max(h, w) / 2.0
    cx = ((intrinsics[:, 0, 2] + 0.5) / w).clamp(eps, 1 - eps)
    cy = ((intrinsics[:, 1, 2] + 0.5) / h).clamp(eps, 1 - eps)
    return torch.stack([(intrinsics[:, 0, 0] / half).log(), (intrinsics[:, 1, 1] / half).log(),
                        torch.logit(cx), torch.logit(cy)], dim=1)
