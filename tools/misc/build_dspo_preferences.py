"""Build a DSPO preference dataset (``preferences.jsonl`` + PNGs) from a folder of LQ images and SR models.

``python tools/misc/build_dspo_preferences.py LQ_DIR OUT_DIR --config CFG [--config CFG2 ...]
[--checkpoint CKPT ...] [--num-samples 4] [--gt-dir DIR] [--judge metric:auto|metric:psnr|metric:sharpness|human:FILE]
[--masks sam|superpixel] [--sam-model vit_b --sam-checkpoint PATH] [--feedback FILE.jsonl] [--device auto]``

Candidate ``i`` of an image comes from model ``i % len(--config)`` with ``torch.manual_seed(i)``, so a stochastic SR
model (EAM) gives N different samples and deterministic models give one candidate each (the script refuses an image
whose candidates are all identical: nothing to prefer). Instance masks come from segment-anything's automatic mask
generator (``--masks sam``; a local checkpoint, nothing is downloaded) or, without SAM weights, from scikit-image
superpixels (``--masks superpixel``; a stand-in, say so when you report results). ``--gt-dir`` holds ground truth
with the LQ file names (the ``metric:psnr`` judge needs it). ``--feedback`` is JSONL of ``{"image": NAME, "text":
...}``: user descriptions of hallucinations, stored per record and used as DSPO's negative prompt.
Record format: ``panguvision/apis/preference_data.py``.
"""
import argparse
import json
import os.path as osp

import numpy as np
import torch

from panguvision.apis import inference_sr, init_model
from panguvision.apis.preference_data import HumanLabelJudge, MetricJudge, write_preference_dataset
from panguvision.utils.image_io import read_image
from panguvision.utils.media_io import list_images


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Build DSPO preference data')
    parser.add_argument('lq_dir')
    parser.add_argument('out_dir')
    parser.add_argument('--config', action='append', required=True, help='SR model config (repeatable)')
    parser.add_argument('--checkpoint', action='append', default=None, help='weights, one per --config, in order')
    parser.add_argument('--num-samples', type=int, default=4)
    parser.add_argument('--gt-dir', default=None)
    parser.add_argument('--judge', default='metric:auto', help='metric:auto|psnr|sharpness or human:labels.jsonl')
    parser.add_argument('--masks', default='superpixel', choices=['sam', 'superpixel'])
    parser.add_argument('--sam-model', default='vit_b', help='vit_b | vit_l | vit_h (tiny: random, for tests)')
    parser.add_argument('--sam-checkpoint', default=None)
    parser.add_argument('--min-area', type=int, default=64, help='smallest instance kept (pixels)')
    parser.add_argument('--feedback', default=None, help='JSONL of {"image": NAME, "text": ...}')
    parser.add_argument('--device', default='auto')
    return parser.parse_args(argv)


def build_judge(spec: str):
    kind, _, arg = spec.partition(':')
    if kind == 'metric':
        return MetricJudge(arg or 'auto')
    if kind == 'human':
        return HumanLabelJudge(arg)
    raise ValueError(f'--judge {spec!r}: expected metric:<auto|psnr|sharpness> or human:<labels.jsonl>')


def build_mask_generator(args):
    from panguvision.models.lidar_seg.pseudo_label import SamMaskGenerator, SuperpixelMaskGenerator
    if args.masks == 'superpixel':
        return SuperpixelMaskGenerator('felzenszwalb', scale=200, sigma=0.8, min_size=args.min_area)
    return SamMaskGenerator(args.sam_checkpoint, model_type=args.sam_model, tiny_random=args.sam_model == 'tiny')


def read_feedback(path):
    feedback = {}
    if path:
        with open(path, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                if line.strip():
                    try:
                        row = json.loads(line)
                        feedback[str(row['image'])] = str(row['text'])
                    except (ValueError, KeyError) as err:
                        raise ValueError(f'{path}:{lineno}: expected {{"image", "text"}} ({err})') from None
    return feedback


def main(argv=None):
    args = parse_args(argv)
    checkpoints = args.checkpoint or [None] * len(args.config)
    if len(checkpoints) != len(args.config):
        raise SystemExit(f'{len(args.config)} --config but {len(checkpoints)} --checkpoint: give one per config')
    models = [init_model(cfg, ckpt, device=args.device) for cfg, ckpt in zip(args.config, checkpoints)]
    feedback = read_feedback(args.feedback)
    items = []
    for path in list_images(args.lq_dir):
        name = osp.splitext(osp.basename(path))[0]
        item = dict(name=name, lq=read_image(path), feedback=feedback.get(name))
        if args.gt_dir:
            gt_path = osp.join(args.gt_dir, osp.basename(path))
            if not osp.isfile(gt_path):
                raise FileNotFoundError(f'{gt_path}: no ground truth for {path}')
            item['gt'] = read_image(gt_path)
        items.append(item)

    def sample(lq: np.ndarray, seed: int) -> np.ndarray:
        torch.manual_seed(seed)
        return inference_sr(models[seed % len(models)], lq)

    path = write_preference_dataset(args.out_dir, items, sample, num_samples=args.num_samples,
                                    judge=build_judge(args.judge), mask_generator=build_mask_generator(args),
                                    min_area=args.min_area)
    print(f'{len(items)} image(s), {args.num_samples} candidates each -> {path}')


if __name__ == '__main__':
    main()
