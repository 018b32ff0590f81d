"""Project KITTI object-benchmark LiDAR scans into ``image_2`` and write KITTI-style sparse depth PNGs.

For every frame ``{id}`` of ``KITTI_ROOT/{split}`` (``velodyne/{id}.bin``, ``calib/{id}.txt``, ``image_2/{id}.png``)
the Velodyne points are mapped with ``P2 @ R0_rect @ Tr_velo_to_cam``; points in front of the camera (depth in
``(min_depth, max_depth]``) whose pixel lies inside the image are kept, and where several points share a pixel the
nearest one wins (z-buffer). The map is written atomically to ``OUT/{id}.png`` as uint16 ``round(depth_m * 256)``,
0 = no value (the KITTI depth benchmark encoding; read it back with
``panguvision.utils.image_io.read_depth_png(path, scale=256)``).

This is the raw projection (as Monodepth2's ``generate_depth_map``): LiDAR points hidden from the camera by the
parallax between the two sensors are not removed, unlike KITTI's official depth-completion ground truth.

Example::

    python tools/dataset_converters/kitti_lidar_to_depth.py --kitti-root ../shared/data/kitti/object \\
        --out data/kitti/object/training/depth_2
"""
import argparse
import os.path as osp
import sys
from pathlib import Path

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--kitti-root', required=True,
                        help='KITTI object folder holding SPLIT/{image_2,velodyne,calib} (a folder with object/SPLIT '
                        'inside is accepted too)')
    parser.add_argument('--out', required=True, help='output folder for the {id}.png depth maps')
    parser.add_argument('--split', default='training', help='sub-folder of the KITTI root (default: training)')
    parser.add_argument('--min-depth', type=float, default=1e-3,
                        help='drop points at or closer than this depth, metres (default: 1e-3)')
    parser.add_argument('--max-depth', type=float, default=80.0,
                        help='drop points farther than this depth, metres (default: 80)')
    args = parser.parse_args(argv)
    if not 0 <= args.min_depth < args.max_depth:
        parser.error(f'need 0 <= --min-depth < --max-depth, got {args.min_depth} and {args.max_depth}')
    if args.max_depth * 256 > np.iinfo(np.uint16).max:
        parser.error(f'--max-depth {args.max_depth} does not fit the uint16 PNG (at most 255.99 m at 1/256 m)')
    return args


def split_folder(kitti_root: str, split: str) -> Path:
    """``KITTI_ROOT/SPLIT`` or ``KITTI_ROOT/object/SPLIT``, whichever holds a ``velodyne`` folder."""
    for candidate in (Path(kitti_root) / split, Path(kitti_root) / 'object' / split):
        if (candidate / 'velodyne').is_dir():
            return candidate
    raise FileNotFoundError(f'no {split}/velodyne (or object/{split}/velodyne) under {kitti_root}')


def frame_ids(folder: Path) -> list:
    """Frame ids of the scans in ``folder/velodyne``, sorted; every one must have its calibration and image."""
    ids = sorted(p.stem for p in (folder / 'velodyne').glob('*.bin'))
    if not ids:
        raise FileNotFoundError(f'no .bin scans in {folder / "velodyne"}')
    for frame in ids:
        for sub, ext in (('calib', '.txt'), ('image_2', '.png')):
            if not (folder / sub / f'{frame}{ext}').is_file():
                raise FileNotFoundError(f'frame {frame}: {folder / sub / (frame + ext)} is missing')
    return ids


def image_shape(path: str) -> tuple:
    """``(H, W)`` of an image file."""
    from panguvision.utils.image_io import read_image
    return read_image(path).shape[:2]


def frame_depth(folder: Path, frame: str, min_depth: float, max_depth: float) -> np.ndarray:
    """``(H, W)`` float64 sparse depth (metres, 0 = no value) of one frame in ``image_2``."""
    from panguvision.utils.kitti_calib import (parse_kitti_calib, project_velodyne_to_image, read_velodyne_bin,
                                               sparse_depth_map)
    calib = parse_kitti_calib(folder / 'calib' / f'{frame}.txt')
    points = read_velodyne_bin(folder / 'velodyne' / f'{frame}.bin')
    shape = image_shape(str(folder / 'image_2' / f'{frame}.png'))
    uv, depth = project_velodyne_to_image(points, calib, shape, cam=2, min_depth=min_depth)
    near = depth <= max_depth
    return sparse_depth_map(uv[near], depth[near], shape)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.utils import ProgressBar

    from panguvision.utils.image_io import write_depth_png
    try:
        folder = split_folder(args.kitti_root, args.split)
        ids = frame_ids(folder)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    counts, densities, lows, highs = [], [], [], []
    progress = ProgressBar(len(ids))
    for frame in ids:
        try:
            depth = frame_depth(folder, frame, args.min_depth, args.max_depth)
        except (FileNotFoundError, ValueError) as err:
            print(f'\nerror: frame {frame}: {err}', file=sys.stderr)
            return 1
        write_depth_png(osp.join(args.out, f'{frame}.png'), depth, scale=256.0)
        valid = depth[depth > 0]
        counts.append(valid.size)
        densities.append(valid.size / depth.size)
        lows.append(valid.min() if valid.size else np.nan)
        highs.append(valid.max() if valid.size else np.nan)
        progress.update()
    print(f'\nwrote {len(ids)} depth maps to {args.out}: valid pixels per frame mean {np.mean(counts):.0f} '
          f'(min {min(counts)}, max {max(counts)}), density mean {100 * np.mean(densities):.2f} %, '
          f'depth range [{np.nanmin(lows):.2f}, {np.nanmax(highs):.2f}] m')
    return 0


if __name__ == '__main__':
    sys.exit(main())
