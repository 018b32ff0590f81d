"""nuScenes-lidarseg mIoU the devkit's way: nuscenes-devkit's ``ConfusionMatrix`` over the challenge's coarse indices.

The devkit scores coarse indices 1..16 with index 0 (``ignore``) removed from both ground truth and prediction
rows/columns; classes absent from ground truth *and* prediction get NaN IoU and are left out of the mean
(``np.nanmean``). Models here predict training indices 0..15 (``NuScenesLidarSegDataset``: coarse - 1, ignore = 16),
so both are shifted back by one before scoring. mmdet3d's ``SegMetric`` (``seg_eval``) stays the metric for
SemanticKITTI / ScribbleKITTI.
"""
from typing import Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from panguvision.registry import METRICS


@METRICS.register_module()
class NuScenesLidarSegMetric(BaseMetric):
    """Per-class IoU and mIoU (fractions in [0, 1]) of point predictions, accumulated over the whole split.

    Reads ``data_sample['pred_pts_seg']['pts_semantic_mask']`` and ``data_sample['eval_ann_info']
    ['pts_semantic_mask']`` (mmdet3d's keys), both ``(N,)`` training indices, ``ignore_index`` = unlabelled.

    Args:
        classes: the class names in training-index order (default: the 16 nuScenes-lidarseg classes).
        ignore_index: training index of ``ignore`` (default: ``len(classes)``).
    """
    default_prefix = 'nus_lidarseg'

    def __init__(self, classes: Optional[Sequence[str]] = None, ignore_index: Optional[int] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if classes is None:
            from panguvision.datasets.nuscenes_lidarseg_dataset import NUSCENES_LIDARSEG_CLASSES
            classes = NUSCENES_LIDARSEG_CLASSES
        self.classes = tuple(classes)
        self.ignore_index = len(self.classes) if ignore_index is None else ignore_index

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep one ``(C + 1, C + 1)`` devkit confusion matrix per scan (small to gather across ranks)."""
        from nuscenes.eval.lidarseg.utils import ConfusionMatrix
        num = len(self.classes)
        for sample in data_samples:
            pred = sample['pred_pts_seg']['pts_semantic_mask']
            pred = (pred.cpu().numpy() if hasattr(pred, 'cpu') else np.asarray(pred)).astype(np.int64).ravel()
            gt = np.asarray(sample['eval_ann_info']['pts_semantic_mask']).astype(np.int64).ravel()
            scan = sample.get('lidar_path', 'unknown scan')
            if pred.shape != gt.shape:
                raise ValueError(f'{scan}: prediction has {pred.size} points, the ground truth {gt.size}')
            if pred.size and (pred.min() < 0 or pred.max() >= num):
                raise ValueError(f'{scan}: predicted labels must be training indices 0..{num - 1}, got '
                                 f'{pred.min()}..{pred.max()}')
            gt_devkit = gt + 1  # class i -> coarse index i + 1; ignore and anything unknown -> 0
            gt_devkit[(gt == self.ignore_index) | (gt < 0) | (gt >= num)] = 0
            matrix = ConfusionMatrix(num_classes=num + 1, ignore_idx=0)
            matrix.update(gt_devkit, pred + 1)
            self.results.append(matrix.global_cm)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        from nuscenes.eval.lidarseg.utils import ConfusionMatrix
        matrix = ConfusionMatrix(num_classes=len(self.classes) + 1, ignore_idx=0)
        matrix.global_cm = np.sum(results, axis=0)
        ious = matrix.get_per_class_iou()  # index 0 (ignore) is NaN
        metrics = {name: float(ious[i + 1]) for i, name in enumerate(self.classes)}
        metrics['mIoU'] = float(matrix.get_mean_iou())
        metrics['fwIoU'] = float(matrix.get_freqweighted_iou())
        table = '\n'.join(f'{name:>20s}: {100 * value:6.2f}' for name, value in metrics.items())
        MMLogger.get_current_instance().info(f'nuScenes-lidarseg IoU (%):\n{table}')
        return metrics
