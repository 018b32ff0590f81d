"""Evaluate a model: ``python tools/test.py CONFIG [CHECKPOINT] [--out results.pkl] [--show-dir DIR]``.

CHECKPOINT is optional for parameter-free models (the bicubic baseline). Released weights in their original format
(BasicSR ``params``/``params_ema`` .pth, safetensors) are accepted as they are.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from panguvision.engine import prepare_distributed
from panguvision.utils import install_checkpoint_policy


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a PanguVision model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', nargs='?', default=None, help='checkpoint or weights file')
    parser.add_argument('--work-dir', help='the directory to save the evaluation metrics')
    parser.add_argument('--out', type=str, help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument('--show-dir', help='directory (relative to the run folder, or absolute) for drawn results')
    parser.add_argument('--tile', type=int, default=None, help='tiled inference with this LR tile size')
    parser.add_argument('--tile-overlap', type=int, default=32, help='overlap between tiles in LR pixels')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=1')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    # Like `python -m`: the launch directory comes first on sys.path, so `custom_imports` of `projects.*` resolve.
    sys.path.insert(0, os.getcwd())
    install_checkpoint_policy()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = None  # loaded below, strictly
    if args.tile:
        cfg.model.setdefault('test_cfg', ConfigDict())
        cfg.model.test_cfg.update(tile_size=args.tile, tile_overlap=args.tile_overlap)
    if args.show_dir:
        visualization = cfg.default_hooks.get('visualization')
        if visualization is None:
            raise RuntimeError(f'{args.config}: --show-dir needs `default_hooks.visualization` in the config')
        visualization.update(draw=True, show_dir=args.show_dir)

    prepare_distributed(cfg, args.launcher)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    if args.checkpoint is not None:
        runner.load_checkpoint(args.checkpoint, map_location='cpu', strict=True)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out {args.out}: the output file must be a .pkl file')
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    runner.test()


if __name__ == '__main__':
    main()
