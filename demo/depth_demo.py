"""Monocular metric depth (UniDepth) on an image, a folder of images or a video.

``python demo/depth_demo.py INPUT CONFIG [--checkpoint CKPT] [--intrinsics K.npy] [--out DIR] [--device auto]
[--cmap turbo] [--no-ply]``

INPUT: an image file, a folder (its images, not recursive) or a video (``utils.media_io``). Per image, ``--out``
(default ``outputs/``) receives ``<stem>_depth.png`` (colour-mapped depth, near = warm), ``<stem>_depth16.png`` (uint16
millimetres, the metric values) and ``<stem>.ply`` (the image's pixels as a coloured 3-D point cloud in metres,
camera frame, written with open3d). A video gives ``<stem>_depth.mp4`` with ``frame | depth`` side by side. The
camera is predicted from each image unless ``--intrinsics`` gives its 3x3 K (``.npy`` or a text file of 9 numbers).
Headless: no window is ever opened.
"""
import argparse
import os
import os.path as osp

import numpy as np

from panguvision.apis import inference_depth, init_model
from panguvision.utils.image_io import read_image, write_depth_png, write_image
from panguvision.utils.media_io import Mp4Writer, iter_video_frames, list_images, media_kind, video_info


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='PanguVision monocular metric depth demo')
    parser.add_argument('input', help='image file, folder of images, or .mp4/.avi video')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--checkpoint', default=None, help='weights (a random-weight model runs without)')
    parser.add_argument('--intrinsics', default=None, help='3x3 K of the input (.npy or text); default: predicted')
    parser.add_argument('--out', default='outputs', help='output folder')
    parser.add_argument('--device', default='auto', help='auto | cpu | cuda | npu | ...')
    parser.add_argument('--cmap', default='turbo', help='colour map: turbo, magma, inferno, viridis, jet')
    parser.add_argument('--no-ply', action='store_true', help='skip the point clouds')
    return parser.parse_args(argv)


def run_image(model, img: np.ndarray, K, out_dir: str, stem: str, args) -> dict:
    from panguvision.visualization import colorize_depth, write_point_cloud_ply
    result = inference_depth(model, img, K)
    write_image(osp.join(out_dir, f'{stem}_depth.png'), colorize_depth(result['depth'], cmap=args.cmap))
    write_depth_png(osp.join(out_dir, f'{stem}_depth16.png'), np.minimum(result['depth'], 65.535), scale=1000.0)
    if not args.no_ply:
        write_point_cloud_ply(osp.join(out_dir, f'{stem}.ply'), result['points'], img)
    return result


def run_video(model, path: str, K, args) -> None:
    from tqdm import tqdm

    from panguvision.visualization import colorize_depth, side_by_side
    fps, total = video_info(path)
    out_path = osp.join(args.out, osp.splitext(osp.basename(path))[0] + '_depth.mp4')
    with Mp4Writer(out_path, fps) as writer:
        for rgb in tqdm(iter_video_frames(path), total=total, desc='frames', unit='frame'):
            depth = inference_depth(model, rgb, K)['depth']
            writer.write(side_by_side([rgb, colorize_depth(depth, cmap=args.cmap)]))
    print(f'{writer.frames} frame(s) at {fps:g} fps written to {out_path}')


def main(argv=None):
    args = parse_args(argv)
    src = args.input.rstrip('/\\') or args.input
    kind = media_kind(src)
    files = list_images(src) if kind == 'folder' else None if kind == 'video' else [src]
    K = None
    if args.intrinsics:
        from panguvision.datasets import load_intrinsics
        K = np.asarray(load_intrinsics(args.intrinsics))
    model = init_model(args.config, args.checkpoint, device=args.device)
    os.makedirs(args.out, exist_ok=True)
    if files is None:
        run_video(model, src, K, args)
        return
    from tqdm import tqdm
    for path in tqdm(files, desc='images', unit='img'):
        stem = osp.splitext(osp.basename(path))[0]
        result = run_image(model, read_image(path), K, args.out, stem, args)
        depth = result['depth']
        tqdm.write(f'{path}: depth {depth.min():.2f}-{depth.max():.2f} m (median {np.median(depth):.2f}), '
                   f'fx={result["intrinsics"][0, 0]:.1f} fy={result["intrinsics"][1, 1]:.1f} '
                   f'cx={result["intrinsics"][0, 2]:.1f} cy={result["intrinsics"][1, 2]:.1f}'
                   + (' (given)' if K is not None else ' (predicted)'))
    print(f'{len(files)} image(s) written to {args.out}')


if __name__ == '__main__':
    main()
