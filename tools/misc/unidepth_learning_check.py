"""Proof that UniDepth learns: train a small UniDepth V1 on synthetic rooms and beat a constant-depth predictor.

1. trains ``configs/unidepth/unidepth_v1_tiny_synthetic.py`` from scratch through ``tools/train.py`` (two augmented
   views per image, SILog + geometric-invariance + camera losses) on the training rooms (seed 1);
2. evaluates it through ``tools/test.py`` on held-out rooms (seed 2), zero-shot: the camera is predicted;
3. evaluates the constant predictor "median training depth everywhere" on the same held-out rooms with the same
   metric (``evaluate_depth``, mean of per-image values, as ``DepthMetric``);
4. prints both rows and writes them to ``<work-dir>/learning_check.json``; exits 1 unless the model beats the constant
   in both AbsRel and d1 by ``--margin`` (relative AbsRel reduction, absolute d1 gain).

``python tools/misc/unidepth_learning_check.py [--work-dir DIR] [--iters N] [--margin 0.2]``
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/unidepth/unidepth_v1_tiny_synthetic.py')
KEYS = ('abs_rel', 'd1', 'rmse', 'silog')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'unidepth_learning_check'))
    parser.add_argument('--data-root', default=None, help='synthetic data folder (default: <work-dir>/data)')
    parser.add_argument('--iters', type=int, default=None, help='training iterations (config default)')
    parser.add_argument('--margin', type=float, default=0.2,
                        help='required relative AbsRel reduction and absolute d1 gain over the constant predictor')
    return parser.parse_args(argv)


def run(cmd):
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def logged_metrics(work_dir: str) -> dict:
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    if not logs:
        raise FileNotFoundError(f'no metrics json under {work_dir}')
    with open(logs[-1]) as f:
        return [json.loads(line) for line in f if line.strip()][-1]


def constant_baseline(train_root: str, test_root: str) -> dict:
    """Median of all valid training depths, predicted everywhere on the held-out images."""
    from panguvision.evaluation.functional import evaluate_depth
    from panguvision.utils.image_io import read_depth_png
    paths = sorted(glob.glob(osp.join(train_root, 'depth', '*.png')))
    train = np.concatenate([d[d > 0] for d in (read_depth_png(p, 1000.0) for p in paths)])
    median = float(np.median(train))
    rows = []
    for path in sorted(glob.glob(osp.join(test_root, 'depth', '*.png'))):
        gt = read_depth_png(path, 1000.0).astype(np.float64)
        rows.append(evaluate_depth(np.full_like(gt, median), gt, 1e-3, 20.0, None))
    return dict(median_depth=median, **{k: float(np.mean([r[k] for r in rows])) for k in KEYS})


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.time()
    data = args.data_root or osp.join(args.work_dir, 'data')
    train_root, test_root = osp.join(data, 'train'), osp.join(data, 'test')
    options = [f'train_dataloader.dataset.data_root={train_root}', f'test_dataloader.dataset.data_root={test_root}']
    train_dir = osp.join(args.work_dir, 'train')
    train_cmd = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', train_dir, '--cfg-options', *options]
    if args.iters:
        train_cmd.append(f'train_cfg.max_iters={args.iters}')
    run(train_cmd)
    train_seconds = time.time() - start
    with open(osp.join(train_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    test_dir = osp.join(args.work_dir, 'test')
    run([sys.executable, 'tools/test.py', CONFIG, checkpoint, '--work-dir', test_dir, '--cfg-options', *options])
    model = {k: float(logged_metrics(test_dir)[k]) for k in KEYS}
    const = constant_baseline(train_root, test_root)
    result = dict(model=model, constant=const, train_seconds=train_seconds, checkpoint=checkpoint,
                  iters=args.iters, margin=args.margin)
    print(f'\nheld-out synthetic rooms ({len(glob.glob(osp.join(test_root, "depth", "*.png")))} images), '
          f'zero-shot camera; training took {train_seconds:.0f} s')
    print(f'{"predictor":<28}' + ''.join(f'{k:>10}' for k in KEYS))
    print(f'{"constant (median %.2f m)" % const["median_depth"]:<28}' + ''.join(f'{const[k]:>10.4f}' for k in KEYS))
    print(f'{"UniDepth V1 tiny":<28}' + ''.join(f'{model[k]:>10.4f}' for k in KEYS))
    ok = (model['abs_rel'] < (1 - args.margin) * const['abs_rel']) and (model['d1'] > const['d1'] + args.margin)
    result['beats_constant'] = bool(ok)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'learning_check.json'), 'w') as f:
        json.dump(result, f, indent=2)
    print('beats the constant predictor by the margin:', ok)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
