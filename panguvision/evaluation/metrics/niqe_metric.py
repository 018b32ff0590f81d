"""NIQE metric class (no reference)."""
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from panguvision.evaluation.functional.niqe import load_niqe_params, niqe
from panguvision.registry import METRICS
from panguvision.utils.image_io import tensor_to_image

__all__ = ['NIQE']


@METRICS.register_module()
class NIQE(BaseMetric):
    """Mean per-image NIQE (lower is better) of ``pred_img`` (``(3, H, W)`` RGB in ``[0, 1]``, quantised to 8 bits as
    for saving), with the published pristine model (:func:`panguvision.evaluation.functional.load_niqe_params`).

    Returns ``{'NIQE': mean}``.

    Args:
        params_file: pristine-model file (BasicSR's ``niqe_pris_params.npz`` or MATLAB's ``modelparameters.mat``);
            ``None`` uses the installed ``basicsr`` package's file. Loaded at construction, so a missing file fails
            before any evaluation.
        crop_border: pixels removed on every side before measuring.
        convert: ``'y'`` (MATLAB ``rgb2ycbcr`` luma, BasicSR's convention) or ``'gray'`` (MATLAB ``rgb2gray``).
        image_key: which image of the data sample to measure (``'pred_img'``; ``'gt_img'`` rates the references).
        collect_device: ``'cpu'`` or ``'gpu'``, where results are gathered in distributed runs.
        prefix: prefix of the result key.
    """
    default_prefix = None

    def __init__(self,
                 params_file: Optional[str] = None,
                 crop_border: int = 0,
                 convert: str = 'y',
                 image_key: str = 'pred_img',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if convert not in ('y', 'gray'):
            raise ValueError(f"NIQE convert must be 'y' or 'gray', got {convert!r}")
        self.params = load_niqe_params(params_file)
        self.crop_border = int(crop_border)
        self.convert = convert
        self.image_key = image_key

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if self.image_key not in sample:
                raise KeyError(f'NIQE: data sample {sample.get("img_id", "?")!r} has no {self.image_key!r}')
            img = tensor_to_image(sample[self.image_key], dtype=np.float64)
            self.results.append(niqe(img, self.params, crop_border=self.crop_border, convert=self.convert))

    def compute_metrics(self, results: list) -> dict:
        return {'NIQE': float(np.mean(results))}
