"""Super-resolve an image, a folder of images or a video with any SR config.

``python demo/sr_demo.py INPUT CONFIG [--checkpoint CKPT] [--out PATH] [--tile N] [--tile-overlap N] [--device auto]
[--side-by-side] [--prompt TEXT]``

INPUT: an image file, a folder (its images, not recursive) or a video (``utils.media_io``). Output: an image (default
``outputs/<stem>_sr.png``), a folder (default ``outputs/<folder>_sr/``, same file names as PNG) or an mp4 video
(default ``outputs/<stem>_sr.mp4``, ``mp4v`` codec, the input's fps; frames are super-resolved one by one).
``--side-by-side`` writes ``input (nearest-enlarged) | result`` instead of the result alone. ``--tile`` (LR pixels)
bounds memory on large inputs. Text-conditioned models (EAM) print the prompt of each input; ``--prompt`` overrides
the prompts they would write. Headless: no window is ever opened.
"""
import argparse
import os.path as osp

import numpy as np

from panguvision.apis import inference_sr, init_model
from panguvision.utils.image_io import read_image, write_image
from panguvision.utils.media_io import Mp4Writer, iter_video_frames, list_images, media_kind, video_info


def parse_args():
    parser = argparse.ArgumentParser(description='PanguVision super-resolution demo')
    parser.add_argument('input', help='image file, folder of images, or video (.mp4/.avi/...)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--checkpoint', default=None, help='weights (optional for parameter-free models)')
    parser.add_argument('--out', default=None, help='output file or folder (default: under outputs/)')
    parser.add_argument('--tile', type=int, default=None, help='tiled inference with this LR tile size (pixels)')
    parser.add_argument('--tile-overlap', type=int, default=32, help='overlap between tiles (LR pixels)')
    parser.add_argument('--device', default='auto', help='auto | cpu | cuda | npu | ...')
    parser.add_argument('--side-by-side', action='store_true', help='write input | result side by side')
    parser.add_argument('--prompt', default=None, help='text prompt for text-conditioned models (EAM)')
    return parser.parse_args()


def render(model, img: np.ndarray, side_by_side_view: bool) -> np.ndarray:
    """``(h, w, 3)`` uint8 RGB -> SR result, or ``input (nearest) | result`` with ``side_by_side_view``."""
    out = inference_sr(model, img)
    if getattr(model, 'last_prompts', None):  # text-conditioned models (EAM)
        print(f'prompt: {model.last_prompts[0]}')
    if not side_by_side_view:
        return out
    from panguvision.visualization import enlarge_nearest, side_by_side
    return side_by_side([enlarge_nearest(img, out), out], ['input', 'result'])


def run_images(model, files: list, out_paths: list, args) -> None:
    from tqdm import tqdm
    for path, out_path in tqdm(list(zip(files, out_paths)), desc='images', unit='img'):
        write_image(out_path, render(model, read_image(path), args.side_by_side))
    print(f'{len(files)} image(s) written to {out_paths[0] if len(files) == 1 else osp.dirname(out_paths[0])}')


def run_video(model, path: str, out_path: str, args) -> None:
    from tqdm import tqdm
    fps, total = video_info(path)
    with Mp4Writer(out_path, fps) as writer:
        for frame in tqdm(iter_video_frames(path), total=total, desc='frames', unit='frame'):
            writer.write(render(model, frame, args.side_by_side))
    print(f'{writer.frames} frame(s) at {fps:g} fps written to {out_path}')


def main():
    args = parse_args()
    src = args.input.rstrip('/\\') or args.input
    stem = osp.splitext(osp.basename(src))[0]
    cfg_options = None
    if args.tile:
        cfg_options = {'model.test_cfg.tile_size': args.tile, 'model.test_cfg.tile_overlap': args.tile_overlap}

    kind = media_kind(src)
    if kind == 'folder':
        files = list_images(src)
        out_dir = args.out or osp.join('outputs', f'{stem}_sr')
        outs = [osp.join(out_dir, osp.splitext(osp.basename(f))[0] + '.png') for f in files]
    elif kind == 'video':
        files, outs = None, [args.out or osp.join('outputs', f'{stem}_sr.mp4')]
    else:
        files = [src]
        out = args.out or osp.join('outputs', f'{stem}_sr.png')
        outs = [osp.join(out, f'{stem}_sr.png') if osp.isdir(out) or out.endswith(('/', '\\')) else out]

    model = init_model(args.config, args.checkpoint, device=args.device, cfg_options=cfg_options)
    if args.prompt is not None:
        if not hasattr(model, 'last_prompts'):
            raise SystemExit(f'--prompt: {type(model).__name__} of {args.config} takes no text prompt')
        model.test_cfg['prompt'] = args.prompt
    if files is None:
        run_video(model, src, outs[0], args)
    else:
        run_images(model, files, outs, args)


if __name__ == '__main__':
    main()
