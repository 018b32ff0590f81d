"""FLOPs and parameters of a model's network with ``mmengine.analysis.get_model_complexity_info``.

``python tools/analysis_tools/get_flops.py CONFIG [--shape H W]``

For super-resolution models the network analysed is the generator (the SRModel wrapper only adds pre/post
processing) and ``--shape`` is the low-resolution INPUT in pixels. By default it is the input that gives a 1280x720
output, the convention of the SR literature (HiT-SR, SwinIR): 180x320 for x4, 360x640 for x2, 240x426 for x3
(1280 / 3 is rounded down, so the x3 output is 1278 wide).

Counting convention (mmengine, as fvcore): one fused multiply-add counts as ONE FLOP, i.e. the numbers are MACs;
operators mmengine cannot count (listed in its warnings) add nothing.
"""
import argparse
import logging

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger

from panguvision.apis import init_model

#: Output size (H, W) the default input shape is chosen for.
REFERENCE_OUTPUT = (720, 1280)


class DropUncalledModules(logging.Filter):
    """Drops mmengine's 'submodules never called' lists: modules run through functional calls or eval-mode caches
    (HiT-SR) still have their operators counted in the parent's FLOPs, so the lists are noise here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return 'were never called during the trace' not in record.getMessage()


def parse_args():
    parser = argparse.ArgumentParser(description='FLOPs and parameters of a PanguVision model')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=None, metavar=('H', 'W'),
        help='input size in pixels (default: the input that gives a 1280x720 output at the model scale)')
    parser.add_argument('--show-arch', action='store_true', help='also print the per-module architecture table')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = init_model(cfg, device='cpu')
    network = getattr(model, 'generator', model)
    scale = getattr(model, 'scale', 1)
    if args.shape is None:
        shape = tuple(size // scale for size in REFERENCE_OUTPUT)
        note = f'default: the input of a {REFERENCE_OUTPUT[1]}x{REFERENCE_OUTPUT[0]} output at x{scale}'
    else:
        shape, note = tuple(args.shape), 'from --shape'
    MMLogger.get_current_instance().addFilter(DropUncalledModules())
    with torch.no_grad():
        # Explicit inputs in [0, 1] (mmengine's input_shape path needs a model with parameters).
        inputs = (torch.rand(1, 3, *shape), )
        info = get_model_complexity_info(network, inputs=inputs, show_table=True, show_arch=args.show_arch)

    split_line = '=' * 60
    print(info['out_table'])
    if args.show_arch:
        print(info['out_arch'])
    print(f'{split_line}\n'
          f'Network:      {type(network).__name__} (x{scale})\n'
          f'Input shape:  3x{shape[0]}x{shape[1]} (H x W, {note})\n'
          f'Output shape: 3x{shape[0] * scale}x{shape[1] * scale}\n'
          f'FLOPs:        {info["flops_str"]} ({info["flops"] / 1e9:.2f} G multiply-adds)\n'
          f'Params:       {info["params_str"]} ({info["params"]:,})\n'
          f'{split_line}\n'
          'FLOPs count one multiply-add as one operation (mmengine/fvcore convention); uncounted operators add '
          'nothing. Check that the numbers suit your needs before you adopt them in a paper.')


if __name__ == '__main__':
    main()
