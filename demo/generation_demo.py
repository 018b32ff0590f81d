"""Sample an image grid from an IGTR config: one row per requested class / prompt.

``python demo/generation_demo.py CONFIG [--checkpoint CKPT] [--classes circle square ...] [--prompts TEXT ...]
[--num-per-class 4] [--out grid.png] [--cfg-scale 1.5] [--temperature T] [--top-k K] [--top-p P] [--seed 0]
[--no-kv-cache] [--device auto]``

Without ``--checkpoint`` the weights are random (a smoke test of the pipeline). The reasoning text used for each row
is printed.
"""
import argparse
import sys

import numpy as np

from panguvision.apis import init_model, resolve_device
from panguvision.utils.image_io import tensor_to_image, write_image


def parse_args():
    parser = argparse.ArgumentParser(description='IGTR image-grid demo')
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='trained IGTR checkpoint (default: random weights)')
    parser.add_argument('--classes', nargs='+', default=None, help='class names or ids (default: every class)')
    parser.add_argument('--prompts', nargs='+', default=None,
                        help='request texts, one per class (e.g. "a small red circle at top left")')
    parser.add_argument('--num-per-class', type=int, default=4)
    parser.add_argument('--out', default='grid.png')
    parser.add_argument('--cfg-scale', type=float, default=None)
    parser.add_argument('--temperature', type=float, default=None)
    parser.add_argument('--top-k', type=int, default=None)
    parser.add_argument('--top-p', type=float, default=None)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-kv-cache', action='store_true')
    parser.add_argument('--device', default='auto', help='auto | cpu | cuda | npu ...')
    return parser.parse_args()


def make_grid(rows, pad: int = 2) -> np.ndarray:
    """List of rows of (H, W, 3) uint8 images -> one (R (H + pad) + pad, C (W + pad) + pad, 3) image."""
    h, w = rows[0][0].shape[:2]
    cols = max(len(r) for r in rows)
    grid = np.full((len(rows) * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, dtype=np.uint8)
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            y, x = pad + i * (h + pad), pad + j * (w + pad)
            grid[y:y + h, x:x + w] = img
    return grid


def main():
    args = parse_args()
    if args.prompts and args.classes and len(args.prompts) != len(args.classes):
        raise SystemExit(f'--prompts gives {len(args.prompts)} texts for {len(args.classes)} classes')
    model = init_model(args.config, args.checkpoint, device=resolve_device(args.device))
    if args.checkpoint is None:
        print('no --checkpoint: random weights', file=sys.stderr)
    classes = args.classes or list(model.class_names or range(model.transformer.num_classes))
    if args.prompts and len(args.prompts) != len(classes):
        raise SystemExit(f'--prompts gives {len(args.prompts)} texts for {len(classes)} classes')
    sampling = {k: v for k, v in dict(cfg_scale=args.cfg_scale, temperature=args.temperature, top_k=args.top_k,
                                      top_p=args.top_p).items() if v is not None}
    if args.no_kv_cache:
        sampling['use_kv_cache'] = False
    rows = []
    for i, label in enumerate(classes):
        prompt = args.prompts[i] if args.prompts else None
        images, texts = model.generate([label] * args.num_per_class, [prompt] * args.num_per_class,
                                       seed=args.seed + i, **sampling)
        rows.append([tensor_to_image(img) for img in images])
        print(f'{label}: ' + ' | '.join(t or '(no reasoning prefix)' for t in texts))
    write_image(args.out, make_grid(rows))
    print(f'grid written to {args.out}')


if __name__ == '__main__':
    main()
