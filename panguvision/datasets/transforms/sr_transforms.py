"""Paired (LQ, GT) transforms for super-resolution.

Images are ``(H, W, C)`` uint8 numpy arrays in ``results['gt']`` (high resolution) and ``results['lq']`` (low
resolution, ``scale`` times smaller). Randomness comes from numpy's global RNG, so mmengine's seeding controls it.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from panguvision.registry import TRANSFORMS
from panguvision.utils.imresize import imresize_np

__all__ = ['ModCrop', 'BicubicDegrade', 'PairedRandomCrop', 'PairedFlip', 'PairedRot90']

PAIRED_KEYS = ('lq', 'gt')


def _scale_of(results: dict, scale: Optional[int], transform: str) -> int:
    """The transform's own ``scale`` or else ``results['scale']``."""
    if scale is not None:
        return int(scale)
    if 'scale' not in results:
        raise KeyError(f'{transform}: no scale given and results has no "scale" (img_id={results.get("img_id")!r})')
    return int(results['scale'])


def _present_keys(results: dict):
    return [key for key in PAIRED_KEYS if results.get(key) is not None]


@TRANSFORMS.register_module()
class ModCrop(BaseTransform):
    """Crop ``results['gt']`` (top-left anchored) so that H and W are multiples of the scale.

    Args:
        scale: factor; ``None`` uses ``results['scale']``.
    """

    def __init__(self, scale: Optional[int] = None) -> None:
        self.scale = scale

    def transform(self, results: dict) -> dict:
        scale = _scale_of(results, self.scale, 'ModCrop')
        gt = results['gt']
        h, w = gt.shape[:2]
        results['gt'] = gt[:h - h % scale, :w - w % scale]
        return results


@TRANSFORMS.register_module()
class BicubicDegrade(BaseTransform):
    """Make ``results['lq']`` from ``results['gt']`` with MATLAB's bicubic ``imresize`` at ``1 / scale``.

    The output is uint8, rounded like MATLAB, i.e. bit-identical to the benchmark LR images. Runs when ``lq`` is
    missing (or ``None``), or always with ``force=True``. GT H and W must be multiples of the scale (use ``ModCrop``).

    Args:
        scale: factor; ``None`` uses ``results['scale']``.
        force: replace an existing ``lq``.
    """

    def __init__(self, scale: Optional[int] = None, force: bool = False) -> None:
        self.scale = scale
        self.force = force

    def transform(self, results: dict) -> dict:
        if results.get('lq') is not None and not self.force:
            return results
        scale = _scale_of(results, self.scale, 'BicubicDegrade')
        gt = results['gt']
        h, w = gt.shape[:2]
        if h % scale or w % scale:
            raise ValueError(f'BicubicDegrade: GT of {results.get("img_id")!r} has shape {(h, w)}, not a multiple of '
                             f'scale={scale}; put ModCrop before BicubicDegrade')
        results['lq'] = imresize_np(gt, scale=1 / scale)
        return results


@TRANSFORMS.register_module()
class PairedRandomCrop(BaseTransform):
    """Aligned random crops: an ``lq_patch_size`` LQ patch and the ``lq_patch_size * scale`` GT patch it came from.

    Args:
        lq_patch_size: side of the square LQ patch, in LQ pixels.
        scale: factor; ``None`` uses ``results['scale']``.
    """

    def __init__(self, lq_patch_size: int, scale: Optional[int] = None) -> None:
        self.lq_patch_size = int(lq_patch_size)
        self.scale = scale

    def transform(self, results: dict) -> dict:
        scale = _scale_of(results, self.scale, 'PairedRandomCrop')
        if results.get('lq') is None or results.get('gt') is None:
            raise KeyError(f'PairedRandomCrop needs both "lq" and "gt" (img_id={results.get("img_id")!r}); '
                           'load them (LoadSRImages) or make lq with ModCrop + BicubicDegrade first')
        lq, gt = results['lq'], results['gt']
        (h, w), (gt_h, gt_w) = lq.shape[:2], gt.shape[:2]
        img_id = results.get('img_id')
        if (gt_h, gt_w) != (h * scale, w * scale):
            raise ValueError(f'PairedRandomCrop: GT shape {(gt_h, gt_w)} of {img_id!r} is not scale={scale} times '
                             f'the LQ shape {(h, w)}')
        size = self.lq_patch_size
        if h < size or w < size:
            raise ValueError(f'PairedRandomCrop: LQ shape {(h, w)} of {img_id!r} is smaller than the patch size {size}')
        top = np.random.randint(0, h - size + 1)
        left = np.random.randint(0, w - size + 1)
        results['lq'] = lq[top:top + size, left:left + size]
        results['gt'] = gt[top * scale:(top + size) * scale, left * scale:(left + size) * scale]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(lq_patch_size={self.lq_patch_size}, scale={self.scale})'


@TRANSFORMS.register_module()
class PairedFlip(BaseTransform):
    """Flip ``lq`` and ``gt`` together with probability ``prob``.

    Args:
        prob: flip probability.
        direction: ``'horizontal'`` (left-right) or ``'vertical'`` (up-down).
    """
    AXES = dict(horizontal=1, vertical=0)

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal') -> None:
        if direction not in self.AXES:
            raise ValueError(f'PairedFlip direction must be one of {sorted(self.AXES)}, got {direction!r}')
        self.prob = prob
        self.direction = direction

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            for key in _present_keys(results):
                results[key] = np.flip(results[key], axis=self.AXES[self.direction])
        return results


@TRANSFORMS.register_module()
class PairedRot90(BaseTransform):
    """Transpose H and W of ``lq`` and ``gt`` together with probability ``prob`` (BasicSR's ``rot90`` augmentation;
    combined with the two flips it generates all 8 dihedral transforms).

    Args:
        prob: transpose probability.
    """

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            for key in _present_keys(results):
                results[key] = np.swapaxes(results[key], 0, 1)
        return results
