"""Monocular metric-depth evaluation (delta accuracies, AbsRel, RMSE, SIlog, ...)."""
import logging
from typing import Any, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from panguvision.evaluation.functional import DEPTH_METRIC_KEYS, evaluate_depth
from panguvision.registry import METRICS

__all__ = ['DepthMetric']


def _to_depth_map(value: Any, key: str) -> np.ndarray:
    """``(1, H, W)`` or ``(H, W)`` tensor / array (metres) -> ``(H, W)`` float64 array."""
    if isinstance(value, torch.Tensor):
        value = value.detach().to('cpu', torch.float64).numpy()
    depth = np.asarray(value, dtype=np.float64)
    if depth.ndim == 3 and depth.shape[0] == 1:
        depth = depth[0]
    if depth.ndim != 2:
        raise ValueError(f'{key}: expected a (1, H, W) or (H, W) depth map, got shape {depth.shape}')
    return depth


@METRICS.register_module()
class DepthMetric(BaseMetric):
    """Standard monocular depth errors, computed per image and averaged over the images.

    Per image, the prediction is clipped to ``[min_depth, max_depth]`` and the errors are taken over the
    ground-truth pixels with ``min_depth < gt < max_depth`` inside the crop
    (:func:`panguvision.evaluation.functional.evaluate_depth`); the dataset value of every key is the mean of the
    per-image values, as BTS, AdaBins, Monodepth2 and UniDepth report them (not a pooled mean over all pixels).
    Images without a valid ground-truth pixel are skipped with a warning.

    ``process`` receives data samples as dicts holding ``pred_depth`` and ``gt_depth``: tensors ``(1, H, W)`` or
    ``(H, W)`` in metres, the same size (0 in ``gt_depth`` = no value).

    Args:
        min_depth: lower bound of the evaluation range (metres).
        max_depth: upper bound of the evaluation range (metres): 80 for KITTI, 10 for NYUv2.
        crop: ``None``, ``'garg'`` / ``'eigen'`` (KITTI) or ``'nyu_eigen'`` (NYUv2, 480x640).
        collect_device: ``'cpu'`` or ``'gpu'``, where results are gathered in distributed runs.
        prefix: prefix of the result keys (``'{prefix}/d1'``, ...).

    Returns (``compute_metrics``):
        ``{'d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10', 'silog'}``; see
        :func:`panguvision.evaluation.functional.depth_errors` for the definitions and units.
    """
    default_prefix: Optional[str] = None

    def __init__(self,
                 min_depth: float = 1e-3,
                 max_depth: float = 80.0,
                 crop: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not 0 < min_depth < max_depth:
            raise ValueError(f'need 0 < min_depth < max_depth, got min_depth={min_depth}, max_depth={max_depth}')
        if crop not in (None, 'garg', 'eigen', 'nyu_eigen'):
            raise ValueError(f"crop must be None, 'garg', 'eigen' or 'nyu_eigen', got {crop!r}")
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.crop = crop

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            pred = _to_depth_map(data_sample['pred_depth'], 'pred_depth')
            gt = _to_depth_map(data_sample['gt_depth'], 'gt_depth')
            errors = evaluate_depth(pred, gt, self.min_depth, self.max_depth, self.crop)
            if errors is None:
                print_log(f'DepthMetric: sample {data_sample.get("img_id", data_sample.get("img_path", "?"))!r} has '
                          f'no ground-truth pixel in ({self.min_depth}, {self.max_depth}) m; skipped',
                          logger='current', level=logging.WARNING)
                continue
            self.results.append({key: float(value) for key, value in errors.items()})

    def compute_metrics(self, results: list) -> dict:
        if not results:
            print_log('DepthMetric: no image with valid ground truth was evaluated', logger='current',
                      level=logging.WARNING)
            return {key: float('nan') for key in DEPTH_METRIC_KEYS}
        return {key: float(np.mean([result[key] for result in results])) for key in DEPTH_METRIC_KEYS}
