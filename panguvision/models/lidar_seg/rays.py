"""Camera rays in the LiDAR frame, stratified samples along them, and volume rendering.

Conventions: pinhole intrinsics ``K`` (3x3, pixels) of a camera whose frame is x right, y down, z forward;
``cam_from_lidar`` (4x4, metres) maps homogeneous LiDAR points into that frame. Integer pixel coordinates are pixel
centres. A ray's direction is scaled so that its camera-frame z component is 1: the ray parameter ``t`` is then the
depth along the optical axis (the third homogeneous coordinate of a projected LiDAR point), and the metric length of a
step ``dt`` is ``dt * |d|``.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

__all__ = ['camera_rays', 'stratified_depths', 'volume_render_weights', 'project_points', 'visible_in_camera']


def camera_rays(uv: Tensor, intrinsics: Tensor, cam_from_lidar: Tensor) -> Tuple[Tensor, Tensor]:
    """Rays through pixels ``uv`` ``(R, 2)`` (u = column, v = row, pixels) -> origins, directions ``(R, 3)``.

    Origins are the camera centre in LiDAR coordinates (metres); directions are in LiDAR coordinates with unit depth
    along the optical axis.
    """
    k = intrinsics[:3, :3].to(uv)
    t = cam_from_lidar.to(uv)
    rot, trans = t[:3, :3], t[:3, 3]
    pix = torch.cat([uv, torch.ones_like(uv[:, :1])], 1)  # (R, 3)
    d_cam = torch.linalg.solve(k, pix.T).T  # (R, 3), z = 1
    d_cam = d_cam / d_cam[:, 2:3]
    dirs = d_cam @ rot  # R^T d for each row
    origin = -(rot.T @ trans)
    return origin.expand_as(dirs).contiguous(), dirs


def stratified_depths(num_rays: int, near: float, far: float, num_samples: int, perturb: bool = True,
                      generator: Optional[torch.Generator] = None, device=None) -> Tuple[Tensor, Tensor]:
    """Depths ``(R, S)`` stratified in ``S`` equal bins of ``[near, far]`` and the bin width ``(R, S)``.

    ``perturb=False`` puts each sample at its bin centre (evaluation); ``True`` draws it uniformly in its bin.
    """
    if not 0 <= near < far:
        raise ValueError(f'need 0 <= near < far, got near={near}, far={far}')
    width = (far - near) / num_samples
    edges = near + width * torch.arange(num_samples, dtype=torch.float32, device=device)
    if perturb:
        u = torch.rand(num_rays, num_samples, generator=generator, device=device if generator is None else None)
        u = u.to(edges.device)
    else:
        u = torch.full((num_rays, num_samples), 0.5, device=edges.device)
    depths = edges + width * u
    return depths, torch.full_like(depths, width)


def volume_render_weights(density: Tensor, deltas: Tensor, dir_norm: Tensor) -> Tuple[Tensor, Tensor]:
    """Weights ``w_i = T_i (1 - exp(-sigma_i delta_i |d|))`` and the transmittance left after the last sample.

    Args:
        density (Tensor): ``(R, S)`` volume density, 1/metre, >= 0.
        deltas (Tensor): ``(R, S)`` step along the ray parameter (depth units).
        dir_norm (Tensor): ``(R,)`` metres of travel per unit of the ray parameter.
    Returns:
        weights ``(R, S)`` (sum <= 1) and the final transmittance ``(R,)``.
    """
    tau = density * deltas * dir_norm[:, None]  # optical thickness of each step
    alpha = 1.0 - torch.exp(-tau)
    # T_i = exp(-sum_{j<i} tau_j): exclusive cumulative sum, stable (no product of many small factors).
    acc = torch.cumsum(tau, dim=1)
    trans = torch.exp(-(acc - tau))
    return trans * alpha, torch.exp(-acc[:, -1])


def project_points(points: Tensor, intrinsics: Tensor, cam_from_lidar: Tensor) -> Tuple[Tensor, Tensor]:
    """LiDAR points ``(P, 3)`` -> pixel coordinates ``(P, 2)`` (u, v) and depth along the optical axis ``(P,)``."""
    t = cam_from_lidar.to(points)
    cam = points @ t[:3, :3].T + t[:3, 3]
    z = cam[:, 2]
    pix = cam @ intrinsics[:3, :3].to(points).T
    uv = pix[:, :2] / z.clamp(min=1e-6)[:, None]
    return uv, z


def visible_in_camera(rc: Tensor, depth: Tensor, height: int, width: int, window: int = 5,
                      tolerance: float = 1.0) -> Tensor:
    """Which projected points the camera sees, by a z-buffer over the points themselves.

    The LiDAR and the camera look from different places, so a point the LiDAR sees behind the edge of an object can be
    hidden from the camera and project onto that object's pixels. A point is kept when no other point within a
    ``window`` x ``window`` pixel neighbourhood (the projected points are sparse, so a single pixel rarely holds two)
    lies more than ``tolerance`` metres nearer to the camera.

    Args:
        rc (Tensor): ``(n, 2)`` long (row, column) pixels of the points, inside ``height`` x ``width``.
        depth (Tensor): ``(n,)`` depth of each point along the optical axis (metres).
        window (int): odd neighbourhood size in pixels; 1 = the point's own pixel only.
        tolerance (float): metres.
    Returns:
        Tensor: ``(n,)`` bool, True = visible.
    """
    if window < 1 or window % 2 == 0:
        raise ValueError(f'window must be an odd number of pixels >= 1, got {window}')
    if rc.shape != (len(depth), 2):
        raise ValueError(f'expected rc (n, 2) and depth (n,), got {tuple(rc.shape)} and {tuple(depth.shape)}')
    if not len(depth):
        return torch.zeros(0, dtype=torch.bool, device=depth.device)
    flat = rc[:, 0] * width + rc[:, 1]
    zbuf = torch.full((height * width,), float('inf'), device=depth.device, dtype=depth.dtype)
    zbuf = zbuf.scatter_reduce(0, flat, depth, reduce='amin').view(1, 1, height, width)
    nearest = -torch.nn.functional.max_pool2d(-zbuf, window, stride=1, padding=window // 2).flatten()
    return depth <= nearest[flat] + tolerance
