"""SSIM metric class."""
import numpy as np

from panguvision.evaluation.functional import ssim
from panguvision.registry import METRICS
from .base_sr_metric import BaseSRMetric

__all__ = ['SSIM']


@METRICS.register_module()
class SSIM(BaseSRMetric):
    """Mean per-image SSIM of ``pred_img`` against ``gt_img``; see :class:`BaseSRMetric` for the arguments.

    Returns ``{'SSIM': mean}``.
    """
    metric_name = 'SSIM'

    def measure(self, pred: np.ndarray, gt: np.ndarray, crop_border: int) -> float:
        return ssim(pred, gt, crop_border=crop_border, test_y_channel=self.test_y_channel)
