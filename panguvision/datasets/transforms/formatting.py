"""Packing of super-resolution samples into model inputs and data samples."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from panguvision.registry import TRANSFORMS
from panguvision.structures import SRDataSample

__all__ = ['PackSRInputs', 'image_to_tensor']


def image_to_tensor(img: np.ndarray) -> torch.Tensor:
    """``(H, W, C)`` (or ``(H, W)``) numpy image -> contiguous ``(C, H, W)`` float32 tensor, values unchanged."""
    if img.ndim == 2:
        img = img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float()


@TRANSFORMS.register_module()
class PackSRInputs(BaseTransform):
    """Pack ``results`` into ``{'inputs', 'data_samples'}``.

    - ``inputs``: the LQ image, ``(3, h, w)`` float32 RGB in ``[0, 255]``.
    - ``data_samples``: :class:`SRDataSample` with ``gt_img`` ``(3, H, W)`` float32 RGB in ``[0, 255]`` when a GT is
      present, and metainfo ``img_id``, ``scale``, ``gt_path``, ``lq_path`` (``None`` when absent) and
      ``lq_shape = (h, w)``.

    Args:
        meta_keys: keys of ``results`` copied to the metainfo (``lq_shape`` is always added).
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_id', 'scale', 'gt_path', 'lq_path')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        if results.get('lq') is None:
            raise KeyError(f'PackSRInputs: no "lq" image for {results.get("img_id")!r}; load one (LoadSRImages) or '
                           'make it from the GT (ModCrop + BicubicDegrade)')
        lq = results['lq']
        data_sample = SRDataSample()
        if results.get('gt') is not None:
            data_sample.gt_img = image_to_tensor(results['gt'])
        metainfo = {key: results.get(key) for key in self.meta_keys}
        metainfo['lq_shape'] = tuple(lq.shape[:2])
        data_sample.set_metainfo(metainfo)
        return dict(inputs=image_to_tensor(lq), data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
