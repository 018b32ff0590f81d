"""Run a dataset's pipeline and save what the model would see: ``LQ | GT`` side by side, one PNG per item.

``python tools/analysis_tools/browse_dataset.py CONFIG [--split train|val|test] [--output-dir DIR] [--max-items N]``

The LQ panel is enlarged to the GT size by nearest-neighbour (pixels stay visible). Headless by default: a window
opens only with ``--show`` (``--not-show`` is accepted for mmdet compatibility and is the default).
"""
import argparse
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

from panguvision.registry import DATASETS
from panguvision.utils.image_io import tensor_to_image, write_image
from panguvision.visualization import enlarge_nearest, side_by_side


def parse_args():
    parser = argparse.ArgumentParser(description='Browse a dataset through its pipeline')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train', help='which dataloader')
    parser.add_argument('--output-dir', default=None, help='folder for the PNGs (default: work_dirs/browse_<cfg>)')
    parser.add_argument('--max-items', type=int, default=None, help='stop after this many items')
    parser.add_argument('--not-show', action='store_true', help='do not open a window (the default)')
    parser.add_argument('--show', action='store_true', help='also show every item in a window (needs a display)')
    parser.add_argument('--show-interval', type=float, default=2, help='seconds per item with --show')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args()


def render_sr_item(item: dict):
    """Packed SR item -> ``(name, ndarray(H, 2W+gap, 3) uint8 RGB)`` of ``LQ (nearest-enlarged) | GT``."""
    sample = item['data_samples']
    lq = tensor_to_image(item['inputs'], pixel_range=255.0)
    if 'gt_img' not in sample:
        return sample.metainfo.get('img_id'), lq
    gt = tensor_to_image(sample.gt_img, pixel_range=255.0)
    lq_big = enlarge_nearest(lq, gt)
    titles = [f'LQ {lq.shape[1]}x{lq.shape[0]}', f'GT {gt.shape[1]}x{gt.shape[0]}']
    return sample.metainfo.get('img_id'), side_by_side([lq_big, gt], titles)


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'panguvision'))
    loader_cfg = cfg.get(f'{args.split}_dataloader')
    if loader_cfg is None:
        raise KeyError(f'{args.config}: no `{args.split}_dataloader` in the config')
    dataset = DATASETS.build(loader_cfg.dataset)
    output_dir = args.output_dir or osp.join('work_dirs', f'browse_{osp.splitext(osp.basename(args.config))[0]}')
    total = len(dataset) if args.max_items is None else min(args.max_items, len(dataset))

    progress = ProgressBar(total)
    for index in range(total):
        name, drawn = render_sr_item(dataset[index])
        out_file = osp.join(output_dir, f'{index:05d}_{name or "item"}.png')
        write_image(out_file, drawn)
        if args.show and not args.not_show:
            import cv2
            cv2.imshow('browse_dataset', drawn[..., ::-1])
            cv2.waitKey(int(args.show_interval * 1000))
        progress.update()
    print(f'\n{total} items written to {output_dir}')


if __name__ == '__main__':
    main()
