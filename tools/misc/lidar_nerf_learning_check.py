"""Does NeRF + pseudo-label self-supervision help a LiDAR segmenter with few labels? A CPU check on synthetic scenes.

1. Writes synthetic LiDAR + camera scenes (``panguvision.datasets.synthetic_lidar``) in the SemanticKITTI layout if
   they are not there yet (train sequence 00, held-out sequence 08).
2. For each labelled ratio (LaserMix protocol: a uniform random subset of the training scans) trains the tiny
   MinkUNet of ``configs/_base_/models/minkunet_torch_tiny.py`` twice with the same seed, iterations and labelled
   scans: ``supervised`` (labelled scans only, NeRF head off) and ``nerf_sam`` (each step also takes an unlabelled
   scan with its camera image: rendered semantics fused with image masks -> pixel pseudo-labels, plus LiDAR depth).
3. Evaluates both on the held-out scans with mmdet3d's ``seg_eval`` (mIoU over the 5 classes) and prints a table.

Masks: no SAM weights are available offline, and a randomly initialised SAM gives noise, so the image masks here come
from scikit-image's Felzenszwalb segmentation through the same mask-generator interface (``SuperpixelMaskGenerator``);
``--mask-generator sam --sam-checkpoint PATH`` uses real SAM weights from a local file instead.

    OMP_NUM_THREADS=1 python tools/misc/lidar_nerf_learning_check.py --ratios 0.01 0.1 --iters 300
"""
import argparse
import copy
import json
import os
import os.path as osp
import random
import time

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data-root', default=osp.join(REPO, 'data', 'synthetic_lidar'))
    p.add_argument('--num-train', type=int, default=100)
    p.add_argument('--num-val', type=int, default=20)
    p.add_argument('--ratios', type=float, nargs='+', default=[0.01, 0.1])
    p.add_argument('--methods', nargs='+', default=['supervised', 'nerf_sam'], choices=['supervised', 'nerf_sam'])
    p.add_argument('--iters', type=int, default=300)
    p.add_argument('--nerf-start', type=int, default=100, help='iterations on labels only before the NeRF branch')
    p.add_argument('--lr', type=float, default=0.01)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--mask-generator', choices=['felzenszwalb', 'sam'], default='felzenszwalb')
    p.add_argument('--sam-checkpoint', default=None)
    p.add_argument('--model-config', default=osp.join(REPO, 'configs', '_base_', 'models', 'minkunet_torch_tiny.py'))
    p.add_argument('--generate-only', action='store_true')
    p.add_argument('--model-options', nargs='+', action=DictAction, default={},
                   help='overrides of the model config for the nerf_sam runs, e.g. nerf_head.loss_depth_weight=0')
    p.add_argument('--out', default=None, help='write the results as JSON here')
    return p.parse_args()


def ensure_data(root: str, num_train: int, num_val: int) -> None:
    from panguvision.datasets.synthetic_lidar import write_synthetic_lidar
    infos = [osp.join(root, f'synthetic_infos_{s}.pkl') for s in ('train', 'val')]
    if all(osp.isfile(p) for p in infos):
        import pickle
        with open(infos[0], 'rb') as f:
            n = len(pickle.load(f)['data_list'])
        if n == num_train:
            return
    t = time.time()
    write_synthetic_lidar(root, dict(train=dict(sequence=0, num_scans=num_train),
                                     val=dict(sequence=8, num_scans=num_val)))
    print(f'wrote {num_train} + {num_val} synthetic scans to {root} in {time.time() - t:.1f} s', flush=True)


def build_datasets(root: str, ratio: float, seed: int):
    from panguvision.registry import DATASETS
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'synthetic_lidar.py'))
    train = copy.deepcopy(cfg.train_dataloader.dataset)
    train.update(data_root=root, labelled_ratio=ratio, split_seed=seed)
    val = copy.deepcopy(cfg.val_dataloader.dataset)
    val.update(data_root=root)
    return DATASETS.build(train), DATASETS.build(val)


def mask_purity(root: str, dataset, generator_cfg: dict, num: int = 10) -> float:
    """Fraction of mask pixels carrying their mask's majority class (exact pixel classes from the generator)."""
    from panguvision.registry import TASK_UTILS
    from panguvision.utils.image_io import read_image
    gen = TASK_UTILS.build(generator_cfg)
    pure = total = 0
    for i in range(min(num, len(dataset))):
        info = dataset.get_data_info(i)
        img_path = info['images']['CAM2']['img_path']
        cls = read_image(img_path.replace('image_2', 'image_2_cls'))[..., 0].astype(np.int64)
        for m in gen(read_image(img_path)):
            seg = m['segmentation']
            counts = np.bincount(cls[seg], minlength=256)
            pure += counts.max()
            total += seg.sum()
    return float(pure / max(total, 1))


def evaluate(model, samples, class_names) -> dict:
    from mmdet3d.evaluation import seg_eval
    model.eval()
    gts, preds = [], []
    with torch.no_grad():
        for s in samples:
            out = model.test_step(pseudo_collate([s]))[0]
            preds.append(out.pred_pts_seg.pts_semantic_mask.cpu().numpy())
            gts.append(s['data_samples'].gt_pts_seg.pts_semantic_mask.numpy())
    label2cat = {i: c for i, c in enumerate(class_names)}
    import logging
    res = seg_eval(gts, preds, label2cat, ignore_index=len(class_names), logger=logging.getLogger('lidar_check'))
    model.train()
    return {k: float(v) for k, v in res.items()}


def train_one(args, method: str, ratio: float, train_ds, val_samples, train_samples) -> dict:
    from mmengine.optim import build_optim_wrapper

    from panguvision.registry import MODELS
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    cfg = Config.fromfile(args.model_config)
    if method == 'nerf_sam':
        cfg.merge_from_dict({f'model.{k}': v for k, v in args.model_options.items()})
    model_cfg = copy.deepcopy(cfg.model)
    if method == 'supervised':
        model_cfg.nerf_head = None
    else:
        model_cfg.nerf_start_iter = args.nerf_start
        if args.mask_generator == 'sam':
            model_cfg.mask_generator = dict(type='SamMaskGenerator', checkpoint=args.sam_checkpoint, model_type='vit_b')
    model = MODELS.build(model_cfg)
    model.train()
    optim = build_optim_wrapper(model, dict(type='OptimWrapper',
                                            optimizer=dict(type='AdamW', lr=args.lr, weight_decay=1e-4)))
    labelled = train_ds.labelled_indices
    unlabelled = [i for i in range(len(train_ds)) if i not in set(labelled)]
    rng = random.Random(args.seed)
    t0 = time.time()
    log = []
    for it in range(args.iters):
        lr = args.lr * 0.5 * (1 + np.cos(np.pi * it / args.iters))  # cosine decay
        for group in optim.optimizer.param_groups:
            group['lr'] = lr
        batch = [train_samples[rng.choice(labelled)]]
        if method == 'nerf_sam' and unlabelled:
            batch.append(train_samples[rng.choice(unlabelled)])
        losses = model.train_step(pseudo_collate(batch), optim)
        if (it + 1) % 50 == 0 or it == 0:
            msg = ' '.join(f'{k}={float(v.detach()):.3f}' for k, v in losses.items())
            print(f'[{method} {ratio:g}] iter {it + 1}/{args.iters} {msg} ({time.time() - t0:.0f} s)', flush=True)
            log.append(dict(iter=it + 1, **{k: float(v.detach()) for k, v in losses.items()}))
    train_s = time.time() - t0
    res = evaluate(model, val_samples, train_ds.metainfo['classes'])
    res.update(method=method, ratio=ratio, num_labelled=len(labelled), num_unlabelled=len(unlabelled),
               iters=args.iters, train_seconds=train_s, log=log)
    print(f'[{method} {ratio:g}] held-out mIoU {res["miou"] * 100:.2f} acc {res["acc"] * 100:.2f} '
          f'({train_s:.0f} s training)', flush=True)
    return res


def main():
    args = parse_args()
    import panguvision.datasets  # noqa: F401
    import panguvision.models  # noqa: F401
    init_default_scope('panguvision')
    ensure_data(args.data_root, args.num_train, args.num_val)
    if args.generate_only:
        return
    results = []
    cfg = Config.fromfile(args.model_config)
    for ratio in args.ratios:
        train_ds, val_ds = build_datasets(args.data_root, ratio, args.seed)
        # The pipelines have no random steps: load every scan once.
        train_samples = [train_ds[i] for i in range(len(train_ds))]
        val_samples = [val_ds[i] for i in range(len(val_ds))]
        if not results:
            purity = mask_purity(args.data_root, train_ds, cfg.model.mask_generator)
            print(f'image masks ({cfg.model.mask_generator["type"]}): {purity * 100:.1f} % of mask pixels carry '
                  'their mask\'s majority class', flush=True)
        for method in args.methods:
            results.append(train_one(args, method, ratio, train_ds, val_samples, train_samples))
    print('\n| labelled | scans (lab / unlab) | method | held-out mIoU (%) | acc (%) | train s |')
    print('|---|---|---|---|---|---|')
    for r in results:
        print(f'| {r["ratio"] * 100:g} % | {r["num_labelled"]} / {r["num_unlabelled"]} | {r["method"]} | '
              f'{r["miou"] * 100:.2f} | {r["acc"] * 100:.2f} | {r["train_seconds"]:.0f} |')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(dict(args=vars(args), mask_purity=purity, results=results), f, indent=1)


if __name__ == '__main__':
    main()
