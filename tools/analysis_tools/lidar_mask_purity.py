"""How pure are a mask generator's masks at the voxel level? The groups that mask voting and the mask-consistency
loss of ``NeRFSAMMinkUNet`` work on.

For the first ``--num-scans`` scans of a dataset, the voxels of each scan are projected into its camera image and
grouped by the mask that covers their pixel (``mask_index_map``: the smallest covering mask); the purity is the
fraction of grouped voxels whose true class is their group's true majority class, overall and per true class.

``python tools/analysis_tools/lidar_mask_purity.py [--model-config configs/_base_/models/minkunet_torch_tiny.py]
[--data-config configs/_base_/datasets/synthetic_lidar.py] [--data-root data/synthetic_lidar_train500]
[--num-scans 20]``
"""
import argparse
import copy

import numpy as np
import torch


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model-config', default='configs/_base_/models/minkunet_torch_tiny.py',
                   help='a config whose `model` is a NeRFSAMMinkUNet with a mask generator')
    p.add_argument('--data-config', default='configs/_base_/datasets/synthetic_lidar.py')
    p.add_argument('--data-root', default='data/synthetic_lidar_train500')
    p.add_argument('--num-scans', type=int, default=20)
    return p.parse_args(argv)


def group_purity(groups: torch.Tensor, labels: torch.Tensor, num_classes: int) -> np.ndarray:
    """``(C, 2)`` per true class: [voxels that carry their group's majority class, voxels]. ``groups``, ``labels``:
    ``(N,)`` long, a group index (>= 0) and a true class in ``[0, C)`` per voxel."""
    counts = np.zeros((num_classes, 2), dtype=np.int64)
    for g in groups.unique():
        cls = labels[groups == g]
        majority = torch.bincount(cls, minlength=num_classes).argmax()
        for c in range(num_classes):
            counts[c, 0] += int(((cls == c) & (cls == majority)).sum())
            counts[c, 1] += int((cls == c).sum())
    return counts


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    from panguvision.models.lidar_seg.mask_consistency import mask_index_map
    from panguvision.registry import DATASETS, MODELS
    init_default_scope('panguvision')
    model = MODELS.build(Config.fromfile(args.model_config).model)
    data_cfg = copy.deepcopy(Config.fromfile(args.data_config).train_dataloader.dataset)
    data_cfg.update(data_root=args.data_root, labelled_ratio=None)
    dataset = DATASETS.build(data_cfg)
    classes = dataset.metainfo['classes']
    counts = np.zeros((len(classes), 2), dtype=np.int64)
    for i in range(min(args.num_scans, len(dataset))):
        data = model.data_preprocessor(pseudo_collate([dataset[i]]), training=True)
        sample, img = data['data_samples'][0], data['inputs']['imgs'][0]
        coords = data['inputs']['voxels']['coors'].long()
        intrinsics = torch.as_tensor(np.asarray(sample.metainfo['cam2img']), dtype=torch.float32)[:3, :3]
        cam_from_lidar = torch.as_tensor(np.asarray(sample.metainfo['lidar2cam']), dtype=torch.float32)
        proj = model.project_voxels(data['inputs'], coords, 0, intrinsics, cam_from_lidar, *img.shape[-2:])
        groups = mask_index_map(model.image_masks(img))[proj['rc'][:, 0], proj['rc'][:, 1]]
        labels = sample.gt_pts_seg.voxel_semantic_mask.long()[proj['rows']]
        keep = (groups >= 0) & (labels < len(classes))
        counts += group_purity(groups[keep], labels[keep], len(classes))
    total = counts.sum(0)
    print(f'voxels in masks whose true class is their mask majority: {100 * total[0] / max(total[1], 1):.1f} % '
          f'of {total[1]}')
    for name, (right, n) in zip(classes, counts):
        print(f'  {name}: {100 * right / max(n, 1):.1f} % of {n}')
    return counts


if __name__ == '__main__':
    main()
