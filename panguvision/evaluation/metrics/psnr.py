"""PSNR metric class."""
import numpy as np

from panguvision.evaluation.functional import psnr
from panguvision.registry import METRICS
from .base_sr_metric import BaseSRMetric

__all__ = ['PSNR']


@METRICS.register_module()
class PSNR(BaseSRMetric):
    """Mean per-image PSNR (dB) of ``pred_img`` against ``gt_img``; see :class:`BaseSRMetric` for the arguments.

    Returns ``{'PSNR': mean}``; an image identical to its ground truth contributes ``inf``.
    """
    metric_name = 'PSNR'

    def measure(self, pred: np.ndarray, gt: np.ndarray, crop_border: int) -> float:
        return psnr(pred, gt, crop_border=crop_border, test_y_channel=self.test_y_channel)
