"""Shared machinery of the full-reference super-resolution metrics (PSNR, SSIM)."""
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from panguvision.utils.image_io import tensor_to_image

__all__ = ['BaseSRMetric']


class BaseSRMetric(BaseMetric):
    """Per-image full-reference metric averaged over the dataset.

    Subclasses set ``metric_name`` and implement :meth:`measure`. ``process`` receives the data samples as dicts
    (mmengine's ``Evaluator`` calls ``.to_dict()``) holding ``pred_img`` and ``gt_img``, both ``(3, H, W)`` RGB float
    tensors in ``[0, 1]``, and the metainfo keys (``scale``, ``img_id``, ...).

    Args:
        crop_border: pixels removed on every side before measuring; ``None`` uses each sample's ``scale``.
        test_y_channel: measure on MATLAB's Y channel of YCbCr (the SR literature's convention).
        collect_device: ``'cpu'`` or ``'gpu'``, where results are gathered in distributed runs.
        prefix: prefix of the result key (``'{prefix}/{metric_name}'``).
    """
    metric_name: str = ''

    def __init__(self,
                 crop_border: Optional[int] = None,
                 test_y_channel: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.crop_border = crop_border
        self.test_y_channel = test_y_channel

    def measure(self, pred: np.ndarray, gt: np.ndarray, crop_border: int) -> float:
        """Metric value of one ``(H, W, 3)`` pair in ``[0, 255]``."""
        raise NotImplementedError

    def _crop_border_of(self, data_sample: dict) -> int:
        if self.crop_border is not None:
            return int(self.crop_border)
        if 'scale' not in data_sample:
            raise KeyError(f'{type(self).__name__}(crop_border=None) uses the sample\'s metainfo "scale", but sample '
                           f'{data_sample.get("img_id", "?")!r} has none; set crop_border explicitly')
        return int(data_sample['scale'])

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for data_sample in data_samples:
            pred = tensor_to_image(data_sample['pred_img'], dtype=np.float64)
            gt = tensor_to_image(data_sample['gt_img'], dtype=np.float64)
            self.results.append(self.measure(pred, gt, self._crop_border_of(data_sample)))

    def compute_metrics(self, results: list) -> dict:
        return {self.metric_name: float(np.mean(results))}
