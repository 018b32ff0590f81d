"""Does NeRF + pseudo-label self-supervision help a LiDAR segmenter with few labels? A CPU check on synthetic scenes.

1. Writes synthetic LiDAR + camera scenes (``panguvision.datasets.synthetic_lidar``) in the SemanticKITTI layout if
   they are not there yet (train sequence 00, held-out sequence 08). The 500-scan protocol has 500 training scans
   (``--num-train 500``: 5 labelled scans at 1 %, 50 at 10 %); ``--num-train 100`` is the first protocol (one
   labelled scan at 1 %); the first 100 scans are the same in both. ``--scenes street10 --iters 900`` is the
   latest protocol (round 5 of configs/lidar_nerf_sam/README.md): 10-class street scenes, where (unlike the
   5-class ``street5`` scenes at 300 iterations) supervised-only still gains from 10 % to 100 % labels.
2. For each labelled ratio (LaserMix protocol: a uniform random subset of the training scans) trains the tiny
   MinkUNet of ``configs/_base_/models/minkunet_torch_tiny.py`` twice with the same seed, iterations and labelled
   scans: ``supervised`` (labelled scans only, NeRF head off) and ``nerf_sam`` (each step also takes an unlabelled
   scan with its camera image: rendered semantics fused with image masks -> pixel pseudo-labels, plus LiDAR depth).
3. Evaluates both on the held-out scans with mmdet3d's ``seg_eval`` (mIoU over the 5 classes) and prints a table;
   ``--eval-split select`` evaluates on a separate model-selection sequence (05) instead, for choosing settings
   without touching the held-out scans.
4. Diagnostics: ``--check-render`` renders the true voxel labels of training scans through the NeRF ray caster and
   compares them with the camera's true pixel classes; during ``nerf_sam`` training the accuracy and coverage of the
   pseudo-labels (pixels and voxels of the unlabelled scans) are measured against the true labels (the model never
   sees them).

Exits with status 1 when NeRF + masks does not beat supervised-only at every ratio run (both methods run).

Masks: no SAM weights are available offline, and a randomly initialised SAM gives noise, so the image masks here come
from scikit-image's Felzenszwalb segmentation through the same mask-generator interface (``SuperpixelMaskGenerator``);
``--mask-generator sam --sam-checkpoint PATH`` uses real SAM weights from a local file instead.

    OMP_NUM_THREADS=1 python tools/misc/lidar_nerf_learning_check.py --scenes street10 --iters 900 --ratios 0.01 0.1
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
    p.add_argument('--data-root', default=None,
                   help='default: data/synthetic_lidar for 100 training scans, data/synthetic_lidar_train<N> for N '
                   '(street10 scenes: data/synthetic_lidar_street10_train<N>)')
    p.add_argument('--scenes', choices=['street5', 'street10'], default='street5',
                   help='scene preset (panguvision.datasets.synthetic_lidar.SCENE_PRESETS): street5 = 5 classes '
                   '(rounds 1-4 of the README), street10 = 10 classes on a street (round 5); sets the model\'s class '
                   'count')
    p.add_argument('--num-train', type=int, default=500,
                   help='training scans (sequence 00; the first 100 are the same for any N): 500 = 5 labelled scans '
                   'at 1 %%; 100 = the first protocol (1 labelled scan at 1 %%)')
    p.add_argument('--num-val', type=int, default=20)
    p.add_argument('--num-select', type=int, default=20, help='scans of the model-selection sequence 05')
    p.add_argument('--eval-split', choices=['test', 'select'], default='test',
                   help="'test': the held-out sequence 08; 'select': the model-selection sequence 05")
    p.add_argument('--check-render', action='store_true',
                   help='render the true voxel labels through the ray caster, compare with the true pixel classes')
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


def ensure_data(root: str, num_train: int, num_val: int, num_select: int, preset: str = 'street5') -> None:
    """Train = sequence 00, held-out test = 08 (``synthetic_infos_val.pkl``), model selection = 05
    (``synthetic_infos_select.pkl``); each split is a deterministic function of its sequence number."""
    import pickle

    from panguvision.datasets.synthetic_lidar import write_synthetic_lidar
    want = dict(train=dict(sequence=0, num_scans=num_train), val=dict(sequence=8, num_scans=num_val),
                select=dict(sequence=5, num_scans=num_select))
    missing = {}
    for split, spec in want.items():
        path = osp.join(root, f'synthetic_infos_{split}.pkl')
        if osp.isfile(path):
            with open(path, 'rb') as f:
                if len(pickle.load(f)['data_list']) == spec['num_scans']:
                    continue
        missing[split] = spec
    if missing:
        t = time.time()
        write_synthetic_lidar(root, missing, preset=preset)
        print(f'wrote {sum(s["num_scans"] for s in missing.values())} synthetic scans ({", ".join(missing)}) to '
              f'{root} in {time.time() - t:.1f} s', flush=True)


def build_datasets(root: str, ratio: float, seed: int, eval_split: str = 'test', preset: str = 'street5'):
    from panguvision.datasets.synthetic_lidar import scene_preset
    from panguvision.registry import DATASETS
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets', 'synthetic_lidar.py'))
    num_classes = len(scene_preset(preset)['classes'])
    train = copy.deepcopy(cfg.train_dataloader.dataset)
    train.update(data_root=root, labelled_ratio=ratio, split_seed=seed, preset=preset, ignore_index=num_classes)
    val = copy.deepcopy(cfg.val_dataloader.dataset)
    val.update(data_root=root, ann_file='synthetic_infos_val.pkl' if eval_split == 'test' else
               'synthetic_infos_select.pkl', preset=preset, ignore_index=num_classes)
    return DATASETS.build(train), DATASETS.build(val)


def _true_pixel_classes(img_path: str, cache: dict) -> np.ndarray:
    """The generator's exact class map of a camera image (255 = sky); for diagnostics only."""
    if img_path not in cache:
        from panguvision.utils.image_io import read_image
        cache[img_path] = read_image(img_path.replace('image_2', 'image_2_cls'))[..., 0].astype(np.int64)
    return cache[img_path]


def check_render(model_cfg, train_samples, num: int = 10, sample_counts=(32, 128)) -> dict:
    """Render the true voxel labels (one-hot features) of ``num`` training scans through the NeRF ray caster with a
    geometry-only density (opaque wherever a voxel corner exists) and compare the rendered class with the camera's
    true pixel class at the ray pixels. Tests the camera / LiDAR / voxel alignment of the rendering."""
    from panguvision.models.lidar_seg import camera_rays, stratified_depths, trilinear_sparse, volume_render_weights
    from panguvision.registry import MODELS
    cfg = copy.deepcopy(model_cfg)
    cfg.nerf_head = None
    cfg.mask_generator = None
    model = MODELS.build(cfg)
    near, far = model_cfg.nerf_head.near, model_cfg.nerf_head.far
    stride = model_cfg.get('ray_stride', 8)
    cache, out = {}, {}
    for ns in sample_counts:
        hit = correct = rays = 0
        for s in train_samples[:num]:
            data = model.data_preprocessor(pseudo_collate([copy.deepcopy(s)]), training=False)
            ds = data['data_samples'][0]
            coords = data['inputs']['voxels']['coors'].long()
            gt = ds.gt_pts_seg.voxel_semantic_mask.long()
            num_classes = model_cfg.decode_head.num_classes
            feats = torch.nn.functional.one_hot(gt.clamp(max=num_classes - 1), num_classes).float() * \
                (gt < num_classes)[:, None]
            h, w = data['inputs']['imgs'].shape[-2:]
            model.ray_stride = stride
            uv = model.ray_grid(h, w, feats.device)
            k = torch.as_tensor(np.asarray(ds.metainfo['cam2img']), dtype=torch.float32)[:3, :3]
            t = torch.as_tensor(np.asarray(ds.metainfo['lidar2cam']), dtype=torch.float32)
            o, d = camera_rays(uv, k, t)
            depths, deltas = stratified_depths(len(uv), near, far, ns, perturb=False)
            pts = o[:, None] + depths[..., None] * d[:, None]
            interp = trilinear_sparse(pts.reshape(-1, 3), torch.zeros(pts.shape[0] * ns, dtype=torch.long), coords,
                                      feats, torch.tensor(model.data_preprocessor.voxel_layer.voxel_size),
                                      torch.as_tensor(ds.metainfo['voxel_origin'])[None].float())
            density = 50.0 * interp['occupancy'].view(len(uv), ns)
            weights, _ = volume_render_weights(density, deltas, d.norm(dim=1))
            sem = (weights[..., None] * interp['feats'].view(len(uv), ns, -1)).sum(1)
            opaque = weights.sum(1) > 0.5
            true = _true_pixel_classes(ds.metainfo['img_path'], cache)[uv[:, 1].long(), uv[:, 0].long()]
            true = torch.as_tensor(true)
            seen = true != 255
            rays += int(seen.sum())
            hit += int((opaque & seen).sum())
            correct += int(((sem.argmax(1) == true) & opaque & seen).sum())
        out[ns] = dict(opaque_fraction=hit / max(rays, 1), accuracy_on_opaque=correct / max(hit, 1))
        print(f'render check ({ns} samples per ray, {num} scans): {out[ns]["opaque_fraction"] * 100:.1f} % of the '
              f'non-sky rays render a surface; their rendered true-voxel class equals the true pixel class on '
              f'{out[ns]["accuracy_on_opaque"] * 100:.1f} %', flush=True)
    return out


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
    cfg = load_model_config(args)
    if method == 'nerf_sam':
        cfg.merge_from_dict({f'model.{k}': v for k, v in args.model_options.items()})
    model_cfg = copy.deepcopy(cfg.model)
    if method == 'supervised':
        model_cfg.nerf_head = None
        model_cfg.point_pseudo_label = None
        model_cfg.teacher = None
        model_cfg.mask_consistency = None
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
    # separate streams: both methods draw the same labelled scan at every iteration
    rng_lab, rng_unlab = random.Random(args.seed), random.Random(args.seed + 1000)
    t0 = time.time()
    log = []
    diag = new_diagnostics(model.decode_head.num_classes)
    cls_cache = {}
    for it in range(args.iters):
        lr = args.lr * 0.5 * (1 + np.cos(np.pi * it / args.iters))  # cosine decay
        for group in optim.optimizer.param_groups:
            group['lr'] = lr
        batch = [train_samples[rng_lab.choice(labelled)]]
        if method == 'nerf_sam' and unlabelled:
            batch.append(train_samples[rng_unlab.choice(unlabelled)])
        model.pseudo_debug = None
        losses = model.train_step(pseudo_collate(batch), optim)
        if model.pseudo_debug is not None:
            accumulate_diagnostics(model.pseudo_debug, diag, cls_cache, model.decode_head.ignore_index)
        if (it + 1) % 50 == 0 or it == 0:
            msg = ' '.join(f'{k}={float(v.detach()):.3f}' for k, v in losses.items())
            print(f'[{method} {ratio:g}] iter {it + 1}/{args.iters} {msg} ({time.time() - t0:.0f} s)', flush=True)
            log.append(dict(iter=it + 1, **{k: float(v.detach()) for k, v in losses.items()}))
    train_s = time.time() - t0
    res = evaluate(model, val_samples, train_ds.metainfo['classes'])
    res.update(method=method, ratio=ratio, num_labelled=len(labelled), num_unlabelled=len(unlabelled),
               iters=args.iters, train_seconds=train_s, log=log, eval_split=args.eval_split, seed=args.seed,
               model_options={k: v for k, v in args.model_options.items()} if method == 'nerf_sam' else {})
    if method == 'nerf_sam':
        res['pseudo_label_diagnostics'] = summarise_diagnostics(diag)
        print(f'[{method} {ratio:g}] pseudo-labels vs the true labels: {res["pseudo_label_diagnostics"]}', flush=True)
    name = 'held-out' if args.eval_split == 'test' else 'model-selection'
    print(f'[{method} {ratio:g}] {name} mIoU {res["miou"] * 100:.2f} acc {res["acc"] * 100:.2f} '
          f'({train_s:.0f} s training)', flush=True)
    return res


def accumulate_diagnostics(dbg: dict, diag: dict, cls_cache: dict, ignore_index: int) -> None:
    """Compare the last unlabelled scan's pseudo-labels with the true labels (diagnostics only)."""
    true = torch.as_tensor(_true_pixel_classes(dbg['img_path'], cls_cache))
    if 'pixel_labels' in dbg:
        lab = dbg['pixel_labels'].cpu()
        seen, given = true != 255, (lab != 255) & (lab != ignore_index)
        diag['pix_seen'] += int(seen.sum())
        diag['pix_labelled'] += int((given & seen).sum())
        diag['pix_correct'] += int(((lab == true) & given & seen).sum())
    if 'mask_target_labels' in dbg and 'voxel_gt_for_diagnostics' in dbg:  # the mask-consistency targets' argmax
        gt = dbg['voxel_gt_for_diagnostics'].cpu()[dbg['mask_rows_in_scan'].cpu()]
        diag['mask_target_voxels'] += len(gt)
        diag['mask_target_correct'] += int((dbg['mask_target_labels'].cpu() == gt).sum())
    if 'voxel_gt_for_diagnostics' in dbg and 'voxel_labels' in dbg:
        gt = dbg['voxel_gt_for_diagnostics'].cpu()[dbg['voxel_rows_in_scan'].cpu()]
        diag['vox_in_view'] += dbg['num_voxels_in_view']
        diag['vox_labelled'] += len(gt)
        diag['vox_correct'] += int((dbg['voxel_labels'].cpu() == gt).sum())
        # (C, C): true class x pseudo-label class counts; true labels >= C ignored
        num_classes = diag['vox_confusion'].shape[0]
        ok = gt < num_classes
        diag['vox_confusion'] += torch.bincount(gt[ok] * num_classes + dbg['voxel_labels'].cpu()[ok].clamp(
            max=num_classes - 1), minlength=num_classes ** 2).view(num_classes, num_classes)
        if 'voxel_own_pred' in dbg:  # what the labels change: the model's own class wrong -> label right, and back
            own, lab = dbg['voxel_own_pred'].cpu(), dbg['voxel_labels'].cpu()
            diag['vox_fixed'] += int(((own != gt) & (lab == gt)).sum())
            diag['vox_broken'] += int(((own == gt) & (lab != gt)).sum())
            diag['vox_own_wrong'] += int((own != gt).sum())
    if 'ray_labels' in dbg:
        rows, cols = dbg['ray_rc']
        t = true[rows.cpu()][:, cols.cpu()]
        lab = dbg['ray_labels'].cpu()
        given = lab != 255
        diag['ray_seen'] += int((t != 255).sum())
        diag['ray_labelled'] += int(given.sum())
        diag['ray_correct'] += int(((lab == t) & given).sum())


def new_diagnostics(num_classes: int) -> dict:
    """Zeroed counters for ``accumulate_diagnostics``, and a ``(C, C)`` true x pseudo-label confusion matrix."""
    diag = dict.fromkeys(['pix_correct', 'pix_labelled', 'pix_seen', 'vox_correct', 'vox_labelled', 'vox_in_view',
                          'ray_correct', 'ray_labelled', 'ray_seen', 'mask_target_correct', 'mask_target_voxels',
                          'vox_fixed', 'vox_broken', 'vox_own_wrong'], 0)
    diag['vox_confusion'] = torch.zeros(num_classes, num_classes, dtype=torch.long)
    return diag


def summarise_diagnostics(diag: dict) -> dict:
    def ratio(a, b):
        return round(diag[a] / diag[b], 4) if diag[b] else None
    return dict(pixel_accuracy=ratio('pix_correct', 'pix_labelled'), pixel_coverage=ratio('pix_labelled', 'pix_seen'),
                voxel_accuracy=ratio('vox_correct', 'vox_labelled'),
                voxel_coverage_in_view=ratio('vox_labelled', 'vox_in_view'),
                ray_accuracy=ratio('ray_correct', 'ray_labelled'), ray_coverage=ratio('ray_labelled', 'ray_seen'),
                mask_target_accuracy=ratio('mask_target_correct', 'mask_target_voxels'),
                # of the pseudo-labelled voxels: how many the label corrects (the voter's own class was wrong, the
                # label is right) and how many it corrupts (own class right, label wrong); own_wrong = the first kind's
                # pool
                voxel_fixed=diag['vox_fixed'], voxel_broken=diag['vox_broken'], voxel_own_wrong=diag['vox_own_wrong'],
                voxel_confusion_true_x_pseudo=diag['vox_confusion'].tolist())


def load_model_config(args) -> Config:
    """``--model-config`` with the class count of ``--scenes`` (decode head, its ignore index, NeRF head)."""
    from panguvision.datasets.synthetic_lidar import scene_preset
    cfg = Config.fromfile(args.model_config)
    num_classes = len(scene_preset(args.scenes)['classes'])
    cfg.model.decode_head.num_classes = num_classes
    cfg.model.decode_head.ignore_index = num_classes
    if cfg.model.get('nerf_head'):
        cfg.model.nerf_head.num_classes = num_classes
    return cfg


def default_data_root(num_train: int, scenes: str = 'street5') -> str:
    """Where the learning check writes / finds its scenes (see ``--data-root``)."""
    if scenes == 'street5':
        name = 'synthetic_lidar' if num_train == 100 else f'synthetic_lidar_train{num_train}'
    else:
        name = f'synthetic_lidar_{scenes}_train{num_train}'
    return osp.join(REPO, 'data', name)


def main():
    args = parse_args()
    if args.data_root is None:
        args.data_root = default_data_root(args.num_train, args.scenes)
    import panguvision.datasets  # noqa: F401
    import panguvision.models  # noqa: F401
    init_default_scope('panguvision')
    ensure_data(args.data_root, args.num_train, args.num_val, args.num_select, args.scenes)
    if args.generate_only:
        return 0
    results = []
    cfg = load_model_config(args)
    render = None
    for ratio in args.ratios:
        train_ds, val_ds = build_datasets(args.data_root, ratio, args.seed, args.eval_split, args.scenes)
        # The pipelines have no random steps: load every scan once.
        train_samples = [train_ds[i] for i in range(len(train_ds))]
        val_samples = [val_ds[i] for i in range(len(val_ds))]
        if not results:
            purity = mask_purity(args.data_root, train_ds, cfg.model.mask_generator)
            print(f'image masks ({cfg.model.mask_generator["type"]}): {purity * 100:.1f} % of mask pixels carry '
                  'their mask\'s majority class', flush=True)
            if args.check_render:
                render = check_render(cfg.model, train_samples)
        for method in args.methods:
            results.append(train_one(args, method, ratio, train_ds, val_samples, train_samples))
    name = 'held-out' if args.eval_split == 'test' else 'model-selection'
    print(f'\n| labelled | scans (lab / unlab) | method | {name} mIoU (%) | acc (%) | train s |')
    print('|---|---|---|---|---|---|')
    for r in results:
        print(f'| {r["ratio"] * 100:g} % | {r["num_labelled"]} / {r["num_unlabelled"]} | {r["method"]} | '
              f'{r["miou"] * 100:.2f} | {r["acc"] * 100:.2f} | {r["train_seconds"]:.0f} |')
    verdict = nerf_beats_supervised(results)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(dict(args=vars(args), mask_purity=purity, render_check=render, results=results,
                           nerf_beats_supervised=verdict), f, indent=1)
    if verdict is None:
        return 0
    for ratio, ok in verdict.items():
        print(f'{ratio * 100:g} %: NeRF + masks {"beats" if ok else "does NOT beat"} supervised-only', flush=True)
    return 0 if all(verdict.values()) else 1


def nerf_beats_supervised(results) -> dict:
    """``{ratio: nerf_sam mIoU > supervised mIoU}`` for the ratios where both ran; None if there are none."""
    by = {}
    for r in results:
        by.setdefault(r['ratio'], {})[r['method']] = r['miou']
    verdict = {ratio: m['nerf_sam'] > m['supervised'] for ratio, m in by.items() if len(m) == 2}
    return verdict or None


if __name__ == '__main__':
    raise SystemExit(main())
