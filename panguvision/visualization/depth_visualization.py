"""Depth colour mapping and coloured point-cloud export for depth predictions."""
from typing import Optional, Tuple

import numpy as np

__all__ = ['colorize_depth', 'write_point_cloud_ply']

#: OpenCV colour maps by name (OpenCV ships them, so no matplotlib is needed).
_CV2_COLORMAPS = {'turbo': 'COLORMAP_TURBO', 'magma': 'COLORMAP_MAGMA', 'inferno': 'COLORMAP_INFERNO',
                  'viridis': 'COLORMAP_VIRIDIS', 'jet': 'COLORMAP_JET'}


def colorize_depth(depth: np.ndarray, value_range: Optional[Tuple[float, float]] = None, cmap: str = 'turbo',
                   invalid_color: Tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Colour-map a depth map.

    Args:
        depth: ``(H, W)`` (or ``(1, H, W)``) metres; ``<= 0`` and non-finite values are invalid.
        value_range: ``(near, far)`` metres mapped to the two ends of the colour map; default the 2nd and 98th
            percentiles of the valid depths. Near is drawn with the map's high end (warm colours for turbo).
        cmap: one of ``turbo``, ``magma``, ``inferno``, ``viridis``, ``jet``.
        invalid_color: RGB of invalid pixels.

    Returns:
        ``(H, W, 3)`` uint8 RGB.
    """
    import cv2
    depth = np.asarray(depth, dtype=np.float64)
    if depth.ndim == 3 and depth.shape[0] == 1:
        depth = depth[0]
    if depth.ndim != 2:
        raise ValueError(f'colorize_depth: expected an (H, W) depth map, got shape {depth.shape}')
    if cmap not in _CV2_COLORMAPS:
        raise ValueError(f'colorize_depth: unknown cmap {cmap!r}; choose from {sorted(_CV2_COLORMAPS)}')
    valid = np.isfinite(depth) & (depth > 0)
    if value_range is None:
        near, far = np.percentile(depth[valid], [2, 98]) if valid.any() else (0.0, 1.0)
    else:
        near, far = value_range
    far = max(far, near + 1e-6)
    level = np.clip((far - np.where(valid, depth, far)) / (far - near), 0, 1)
    bgr = cv2.applyColorMap((level * 255).round().astype(np.uint8), getattr(cv2, _CV2_COLORMAPS[cmap]))
    rgb = np.ascontiguousarray(bgr[..., ::-1])
    rgb[~valid] = invalid_color
    return rgb


def write_point_cloud_ply(path: str, points: np.ndarray, colors: Optional[np.ndarray] = None) -> int:
    """Write a (coloured) point cloud as a binary ``.ply`` with open3d.

    Args:
        path: output ``.ply`` file (its folder is created).
        points: ``(N, 3)`` or ``(H, W, 3)`` metres; non-finite points are dropped.
        colors: ``(N, 3)`` / ``(H, W, 3)`` uint8 RGB of the points.

    Returns:
        The number of points written.
    """
    import os
    import os.path as osp

    import open3d as o3d
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    keep = np.isfinite(pts).all(1)
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts[keep]))
    if colors is not None:
        cols = np.asarray(colors).reshape(-1, 3)
        if len(cols) != len(pts):
            raise ValueError(f'write_point_cloud_ply: {len(cols)} colours for {len(pts)} points')
        cloud.colors = o3d.utility.Vector3dVector(cols[keep].astype(np.float64) / 255.0)
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    if not o3d.io.write_point_cloud(path, cloud, write_ascii=False):
        raise RuntimeError(f'{path}: open3d could not write the point cloud')
    return int(keep.sum())
