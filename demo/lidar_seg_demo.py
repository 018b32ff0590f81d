"""Segment LiDAR scans with a LiDAR segmentation config: coloured .ply point clouds, rendered PNGs, an mp4.

``python demo/lidar_seg_demo.py INPUT CONFIG [--checkpoint CKPT] [--out DIR] [--device auto] [--no-render]
[--fps 10]``

INPUT: a KITTI / SemanticKITTI ``.bin`` scan (float32 x, y, z, r) or a folder of them (a sequence's ``velodyne/``).
For each scan the model predicts one class per point (LiDAR only); the demo writes ``DIR/<stem>.ply`` (points coloured
by class), ``DIR/<stem>.png`` (an open3d OffscreenRenderer view from behind and above the sensor, CPU rendering) and,
for a folder, ``DIR/<folder>.mp4`` of those views. Colours: the palette of the config's training dataset when it
names one, else a fixed palette. Headless: no window is ever opened.
"""
import argparse
import glob
import os
import os.path as osp

import numpy as np
import torch


def parse_args():
    parser = argparse.ArgumentParser(description='PanguVision LiDAR segmentation demo')
    parser.add_argument('input', help='.bin scan or folder of .bin scans')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--checkpoint', default=None, help='weights (random weights without it: wiring check only)')
    parser.add_argument('--out', default='outputs/lidar_seg', help='output folder')
    parser.add_argument('--device', default='auto', help='auto | cpu | cuda | npu | ...')
    parser.add_argument('--no-render', action='store_true', help='only write the .ply files')
    parser.add_argument('--fps', type=float, default=10.0, help='frame rate of the mp4 of a folder')
    parser.add_argument('--size', type=int, nargs=2, default=[480, 640], metavar=('H', 'W'), help='PNG size')
    return parser.parse_args()


def palette_of(cfg, num_classes: int) -> np.ndarray:
    """``(num_classes, 3)`` uint8 colours: the training dataset's ``METAINFO['palette']`` when it has that many."""
    from panguvision.registry import DATASETS
    try:
        ds_type = cfg.train_dataloader.dataset.type
        pal = DATASETS.get(ds_type).METAINFO.get('palette')
        if pal is not None and len(pal) >= num_classes:
            return np.asarray(pal[:num_classes], dtype=np.uint8)
    except (AttributeError, KeyError, TypeError):
        pass
    rng = np.random.default_rng(7)
    return rng.integers(40, 256, (num_classes, 3)).astype(np.uint8)


def predict_scan(model, points: np.ndarray) -> np.ndarray:
    """``(N, 4)`` float32 scan -> ``(N,)`` class indices."""
    from mmdet3d.structures import Det3DDataSample
    device = next(model.parameters()).device
    batch = dict(inputs=dict(points=[torch.from_numpy(points).to(device)]), data_samples=[Det3DDataSample()])
    with torch.no_grad():
        out = model.test_step(batch)[0]
    return out.pred_pts_seg.pts_semantic_mask.cpu().numpy()


def write_ply(path: str, xyz: np.ndarray, colours: np.ndarray) -> None:
    import open3d as o3d
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(xyz.astype(np.float64)))
    pcd.colors = o3d.utility.Vector3dVector(colours.astype(np.float64) / 255.0)
    if not o3d.io.write_point_cloud(path, pcd):
        raise RuntimeError(f'open3d could not write {path}')


class Renderer:
    """open3d OffscreenRenderer looking at the scan from 20 m behind and 15 m above the sensor."""

    def __init__(self, height: int, width: int) -> None:
        import open3d as o3d
        from open3d.visualization import rendering
        self.o3d, self.rendering = o3d, rendering
        self.renderer = rendering.OffscreenRenderer(width, height)
        self.renderer.scene.set_background([1.0, 1.0, 1.0, 1.0])
        self.material = rendering.MaterialRecord()
        self.material.shader = 'defaultUnlit'
        self.material.point_size = 2.0

    def __call__(self, xyz: np.ndarray, colours: np.ndarray) -> np.ndarray:
        o3d = self.o3d
        pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(xyz.astype(np.float64)))
        pcd.colors = o3d.utility.Vector3dVector(colours.astype(np.float64) / 255.0)
        scene = self.renderer.scene
        scene.clear_geometry()
        scene.add_geometry('scan', pcd, self.material)
        self.renderer.setup_camera(60.0, [10.0, 0.0, 0.0], [-20.0, 0.0, 15.0], [0.0, 0.0, 1.0])
        return np.asarray(self.renderer.render_to_image())[..., :3].copy()


def main():
    args = parse_args()
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from tqdm import tqdm

    from panguvision.apis import init_model, resolve_device
    from panguvision.utils.image_io import write_image
    from panguvision.utils.kitti_calib import read_velodyne_bin
    from panguvision.utils.media_io import Mp4Writer

    if osp.isdir(args.input):
        scans = sorted(glob.glob(osp.join(args.input, '*.bin')))
        if not scans:
            raise FileNotFoundError(f'no .bin scans in {args.input}')
    elif osp.isfile(args.input):
        scans = [args.input]
    else:
        raise FileNotFoundError(f'input not found: {args.input}')
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'panguvision'))
    model = init_model(cfg, args.checkpoint, device=resolve_device(args.device))
    palette = palette_of(cfg, model.decode_head.num_classes)
    os.makedirs(args.out, exist_ok=True)
    renderer = None if args.no_render else Renderer(*args.size)
    writer = None
    if renderer is not None and len(scans) > 1:
        writer = Mp4Writer(osp.join(args.out, osp.basename(osp.normpath(args.input)) + '.mp4'), args.fps)
    counts = np.zeros(len(palette), dtype=np.int64)
    for path in tqdm(scans, desc='scans', unit='scan'):
        points = read_velodyne_bin(path)
        labels = predict_scan(model, points)
        counts += np.bincount(labels, minlength=len(palette))
        colours = palette[labels]
        stem = osp.splitext(osp.basename(path))[0]
        write_ply(osp.join(args.out, stem + '.ply'), points[:, :3], colours)
        if renderer is not None:
            image = renderer(points[:, :3], colours)
            write_image(osp.join(args.out, stem + '.png'), image)
            if writer is not None:
                writer.write(image)
    if writer is not None:
        writer.close()
    print(f'{len(scans)} scan(s) written to {args.out}; points per class: {counts.tolist()}')


if __name__ == '__main__':
    main()
