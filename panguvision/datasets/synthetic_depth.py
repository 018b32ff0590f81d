"""Synthetic monocular metric-depth data with exact ground truth and random pinhole cameras.

Each image is a random box-shaped room (floor, ceiling, side walls, back wall) with a few spheres, ray cast
analytically from a pinhole camera at the origin (x right, y down, z forward). The depth is the exact z-buffer depth
of the first hit. Colours carry metric cues a network can learn: every surface has a checker texture of fixed world
size (``CHECKER_M`` metres per square), Lambertian shading from a light at the camera, and exponential fog with
distance. Cameras vary per image (horizontal field of view 50-90 degrees, fy/fx 0.95-1.05, principal point within 5 %
of the centre), so a model must handle unknown intrinsics.

:func:`render_depth_scene` renders one image; :class:`SyntheticDepthDataset` writes a split once to a folder in the
:class:`~panguvision.datasets.DepthFolderDataset` layout (``rgb/``, ``depth/`` uint16 mm, ``intrinsics/``) and then
reads it like any other depth folder, so the standard depth pipeline (``LoadDepthInputs`` ...) applies.
"""
import json
import os
import os.path as osp
from typing import Dict, Tuple

import numpy as np

from panguvision.datasets.depth_dataset import DepthFolderDataset
from panguvision.registry import DATASETS

__all__ = ['CHECKER_M', 'render_depth_scene', 'write_synthetic_depth', 'SyntheticDepthDataset']

CHECKER_M = 0.5
FOG_M = 10.0


def _random_camera(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    fov = np.deg2rad(rng.uniform(50, 90))
    fx = 0.5 * width / np.tan(fov / 2)
    fy = fx * rng.uniform(0.95, 1.05)
    cx = (width - 1) / 2 + rng.uniform(-0.05, 0.05) * width
    cy = (height - 1) / 2 + rng.uniform(-0.05, 0.05) * height
    return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], dtype=np.float64)


def render_depth_scene(rng: np.random.Generator, height: int = 96, width: int = 128) -> Dict[str, np.ndarray]:
    """Render one random scene.

    Returns:
        ``dict(img=(H, W, 3) uint8 RGB, depth=(H, W) float32 metres (z-buffer, all pixels valid),
        intrinsics=(3, 3) float64 K)``.
    """
    K = _random_camera(rng, height, width)
    v, u = np.mgrid[0:height, 0:width].astype(np.float64)
    dx, dy = (u - K[0, 2]) / K[0, 0], (v - K[1, 2]) / K[1, 1]  # ray (dx, dy, 1): the hit distance t is the depth Z
    floor, ceil = rng.uniform(1.2, 1.8), rng.uniform(1.0, 2.0)
    half_width, back = rng.uniform(1.5, 4.0), rng.uniform(5.0, 12.0)
    colours = rng.uniform(60, 230, size=(5, 3))
    with np.errstate(divide='ignore', invalid='ignore'):
        planes = [  # (Z of the hit or inf, normal, texture coordinates, colour)
            (np.where(dy > 0, floor / dy, np.inf), (0, -1, 0), 'xz', colours[0]),
            (np.where(dy < 0, -ceil / dy, np.inf), (0, 1, 0), 'xz', colours[1]),
            (np.where(dx > 0, half_width / dx, np.inf), (-1, 0, 0), 'zy', colours[2]),
            (np.where(dx < 0, -half_width / dx, np.inf), (1, 0, 0), 'zy', colours[3]),
            (np.full_like(dx, back), (0, 0, -1), 'xy', colours[4]),
        ]
    depth = np.full_like(dx, np.inf)
    normal = np.zeros(dx.shape + (3, ))
    base = np.zeros(dx.shape + (3, ))
    checker_on = np.zeros(dx.shape, bool)
    for z, n, axes, colour in planes:
        hit = z < depth
        depth = np.where(hit, z, depth)
        normal[hit] = n
        base[hit] = colour
        coords = {'x': dx * z, 'y': dy * z, 'z': z}
        with np.errstate(invalid='ignore'):
            check = (np.floor(coords[axes[0]] / CHECKER_M) + np.floor(coords[axes[1]] / CHECKER_M)) % 2 == 1
        checker_on = np.where(hit, check, checker_on)
    d2 = dx * dx + dy * dy + 1.0
    for _ in range(rng.integers(1, 4)):
        radius = rng.uniform(0.3, 0.8)
        centre = np.array([rng.uniform(-half_width + radius, half_width - radius), rng.uniform(-0.5, floor - radius),
                           rng.uniform(2.0, back - radius)])
        b = dx * centre[0] + dy * centre[1] + centre[2]
        disc = b * b - d2 * (centre @ centre - radius * radius)
        with np.errstate(invalid='ignore'):
            t = (b - np.sqrt(np.where(disc > 0, disc, np.nan))) / d2
        hit = (disc > 0) & (t > 0) & (t < depth)
        depth = np.where(hit, t, depth)
        pts = np.stack([dx * t, dy * t, t], axis=-1)
        normal[hit] = ((pts - centre) / radius)[hit]
        base[hit] = rng.uniform(40, 250, size=3)
        checker_on[hit] = False
    rays = np.stack([dx, dy, np.ones_like(dx)], axis=-1) / np.sqrt(d2)[..., None]
    shade = 0.35 + 0.65 * np.abs((normal * rays).sum(-1))
    colour = base * np.where(checker_on, 0.6, 1.0)[..., None] * shade[..., None]
    fog = np.exp(-depth / FOG_M)[..., None]
    img = colour * fog + 200.0 * (1 - fog)
    return dict(img=np.clip(img + rng.normal(0, 2.0, img.shape), 0, 255).astype(np.uint8),
                depth=depth.astype(np.float32), intrinsics=K)


def write_synthetic_depth(root: str, num_images: int, img_size: Tuple[int, int] = (96, 128), seed: int = 0) -> str:
    """Render ``num_images`` scenes (``np.random.default_rng(seed)``) into ``root`` in the ``DepthFolderDataset``
    layout: ``rgb/NNNN.png``, ``depth/NNNN.png`` (uint16 millimetres), ``intrinsics/NNNN.npy`` and ``meta.json``.
    Skipped when ``root/meta.json`` already describes the same split. Returns ``root``."""
    from panguvision.utils.checkpoint import atomic_write_bytes
    from panguvision.utils.image_io import write_depth_png, write_image
    meta = dict(generator='panguvision.synthetic_depth', version=1, num_images=int(num_images),
                img_size=[int(s) for s in img_size], seed=int(seed))
    meta_path = osp.join(root, 'meta.json')
    if osp.isfile(meta_path):
        with open(meta_path) as f:
            if json.load(f) == meta:
                return root
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'intrinsics'), exist_ok=True)
    for i in range(num_images):
        scene = render_depth_scene(rng, *img_size)
        write_image(osp.join(root, 'rgb', f'{i:04d}.png'), scene['img'])
        write_depth_png(osp.join(root, 'depth', f'{i:04d}.png'), scene['depth'], scale=1000.0)
        np.save(osp.join(root, 'intrinsics', f'{i:04d}.npy'), scene['intrinsics'])
    atomic_write_bytes(json.dumps(meta).encode(), meta_path)
    return root


@DATASETS.register_module()
class SyntheticDepthDataset(DepthFolderDataset):
    """:func:`write_synthetic_depth` split in ``data_root`` (rendered on first use), read as a depth folder.

    Args:
        data_root: folder of the split (e.g. ``data/synthetic_depth/train``).
        num_images: number of images.
        img_size: ``(H, W)``.
        seed: RNG seed of the split (use different seeds for train / test).
        **kwargs: other :class:`DepthFolderDataset` / ``BaseDataset`` arguments (``pipeline``, ``test_mode``...).
    """

    def __init__(self, data_root: str = 'data/synthetic_depth/train', num_images: int = 64,
                 img_size: Tuple[int, int] = (96, 128), seed: int = 0, **kwargs) -> None:
        write_synthetic_depth(data_root, num_images, tuple(img_size), seed)
        kwargs.pop('depth_scale', None)
        super().__init__(data_root=data_root, depth_scale=1000.0, layout='folder', **kwargs)
