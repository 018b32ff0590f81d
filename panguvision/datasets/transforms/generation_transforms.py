"""Transforms of image-generation data: load, resize + centre crop, pack."""
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from panguvision.registry import TRANSFORMS
from panguvision.utils.image_io import read_image
from .formatting import image_to_tensor

__all__ = ['LoadGenerationImage', 'ResizeCenterCrop', 'PackGenerationInputs']


@TRANSFORMS.register_module()
class LoadGenerationImage(BaseTransform):
    """Read ``img_path`` into ``img`` ((H, W, 3) uint8 RGB); an ``img`` already in the results is kept."""

    def transform(self, results: dict) -> dict:
        if results.get('img') is None:
            if not results.get('img_path'):
                raise KeyError(f'LoadGenerationImage: sample {results.get("img_id")!r} has neither "img" nor '
                               '"img_path"')
            results['img'] = read_image(results['img_path'])
        return results


@TRANSFORMS.register_module()
class ResizeCenterCrop(BaseTransform):
    """Resize the shorter side of ``img`` to ``size`` (area interpolation when shrinking, bicubic otherwise) and
    crop the centre ``size x size`` (the ADM / LlamaGen ImageNet preprocessing)."""

    def __init__(self, size: int):
        self.size = int(size)

    def transform(self, results: dict) -> dict:
        import cv2
        img = results['img']
        h, w = img.shape[:2]
        scale = self.size / min(h, w)
        if scale != 1:
            nh, nw = max(self.size, round(h * scale)), max(self.size, round(w * scale))
            img = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        top, left = (img.shape[0] - self.size) // 2, (img.shape[1] - self.size) // 2
        results['img'] = np.ascontiguousarray(img[top:top + self.size, left:left + self.size])
        return results


@TRANSFORMS.register_module()
class PackGenerationInputs(BaseTransform):
    """Pack ``img`` into ``{'inputs': (3, H, W) float32 RGB in [0, 255], 'data_samples': BaseDataElement}``.

    The data sample carries ``gt_img`` (the same tensor, for reconstruction metrics) when ``with_gt`` and the
    metainfo keys present in the results among ``meta_keys`` (``gt_label``, ``prompt``, ...).
    """

    def __init__(self, with_gt: bool = True,
                 meta_keys: Sequence[str] = ('img_id', 'img_path', 'sample_idx', 'gt_label', 'class_name', 'prompt',
                                             'fg_color', 'bg_color', 'vertical', 'horizontal', 'size')):
        self.with_gt = with_gt
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> Optional[dict]:
        img = results.get('img')
        if img is None or img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'PackGenerationInputs: sample {results.get("img_id")!r} needs an (H, W, 3) "img", got '
                             f'{None if img is None else img.shape}')
        inputs = image_to_tensor(img)
        sample = BaseDataElement(metainfo={k: results[k] for k in self.meta_keys if k in results})
        if self.with_gt:
            sample.gt_img = inputs.clone()
        return dict(inputs=inputs, data_samples=sample)
