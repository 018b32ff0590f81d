"""Transforms for UniDepth training: random rescaling and two geometrically augmented views of one image.

A view records how its pixels relate to the loaded image: ``view_affine = (ax, bx, ay, by)`` with
``u_view = ax u + bx``, ``v_view = ay v + by`` (pixel centres, 0-based; ``ax < 0`` after a horizontal flip). The model's
geometric-invariance loss uses it to warp one view's prediction onto the other's pixels.
"""
import copy
from typing import List, Sequence, Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from panguvision.datasets.transforms.depth_transforms import DepthResize
from panguvision.datasets.transforms.formatting import image_to_tensor
from panguvision.registry import TRANSFORMS

__all__ = ['DepthRandomResize', 'TwoViewDepthAug', 'PackDepthViews']


@TRANSFORMS.register_module()
class DepthRandomResize(DepthResize):
    """:class:`DepthResize` by a factor drawn uniformly from ``ratio_range`` (same factor for both axes).

    Args:
        ratio_range: ``(low, high)`` resize factors.
        interpolation: image interpolation.
    """

    def __init__(self, ratio_range: Tuple[float, float] = (0.8, 1.2), interpolation: str = 'bilinear') -> None:
        low, high = float(ratio_range[0]), float(ratio_range[1])
        if not 0 < low <= high:
            raise ValueError(f'DepthRandomResize ratio_range must satisfy 0 < low <= high, got {ratio_range}')
        super().__init__(scale_factor=1.0, interpolation=interpolation)
        self.ratio_range = (low, high)

    def transform(self, results: dict) -> dict:
        self.scale_factor = float(np.random.uniform(*self.ratio_range))
        return super().transform(results)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ratio_range={self.ratio_range}, interpolation={self.interpolation!r})'


def _step_affine(K_before: np.ndarray, K_after: np.ndarray, flipped: bool, width_after: int) -> np.ndarray:
    """Affine ``(ax, bx, ay, by)`` of one transform from the intrinsics before / after it.

    A resize or crop maps ``u' = a u + b`` with ``a = fx' / fx``, ``b = cx' - a cx``; a flip maps
    ``u' = (W - 1) - u`` (and keeps ``fx``).
    """
    if flipped:
        return np.array([-1.0, width_after - 1.0, 1.0, 0.0])
    ax, ay = K_after[0, 0] / K_before[0, 0], K_after[1, 1] / K_before[1, 1]
    return np.array([ax, K_after[0, 2] - ax * K_before[0, 2], ay, K_after[1, 2] - ay * K_before[1, 2]])


def _compose(first: np.ndarray, then: np.ndarray) -> np.ndarray:
    """Affine of applying ``first`` and then ``then``."""
    return np.array([then[0] * first[0], then[0] * first[1] + then[1],
                     then[2] * first[2], then[2] * first[3] + then[3]])


@TRANSFORMS.register_module()
class TwoViewDepthAug(BaseTransform):
    """Make ``num_views`` independently augmented copies of a loaded depth sample.

    Each view runs ``transforms`` (e.g. ``DepthRandomResize``, ``DepthRandomCrop``, ``DepthRandomFlip``: any
    transforms that keep the intrinsics consistent, geometric ones limited to resize / crop / horizontal flip) on a
    deep copy of ``results``. ``results['views']`` becomes the list of the views' results, each with its
    ``view_affine`` relative to the loaded image. All views must end with the same image size.

    Args:
        transforms: per-view pipeline (configs or transform objects).
        num_views: number of views (2 for the geometric-invariance loss).
    """

    def __init__(self, transforms: Sequence, num_views: int = 2) -> None:
        if num_views < 1:
            raise ValueError(f'TwoViewDepthAug num_views must be >= 1, got {num_views}')
        self.transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms]
        self.num_views = num_views

    def _one_view(self, results: dict) -> dict:
        view = copy.deepcopy(results)
        view['flip'] = False
        affine = np.array([1.0, 0.0, 1.0, 0.0])
        for t in self.transforms:
            K_before, flip_before = np.array(view['intrinsics'], dtype=np.float64), view.get('flip', False)
            view = t(view)
            if view is None:
                raise RuntimeError(f'TwoViewDepthAug: {t!r} returned None (filtered the sample)')
            flipped = bool(view.get('flip', False)) and not flip_before
            step = _step_affine(K_before, np.asarray(view['intrinsics'], dtype=np.float64), flipped,
                                view['img'].shape[1])
            affine = _compose(affine, step)
        view['view_affine'] = affine.tolist()
        return view

    def transform(self, results: dict) -> dict:
        views = [self._one_view(results) for _ in range(self.num_views)]
        shapes = sorted({v['img'].shape[:2] for v in views})
        if len(shapes) != 1:
            raise ValueError(f'TwoViewDepthAug: views of {results.get("img_path", "?")!r} have different sizes '
                             f'{shapes}; end the per-view pipeline with a fixed-size crop no larger than the image')
        results['views'] = views
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(num_views={self.num_views}, transforms={self.transforms})'


@TRANSFORMS.register_module()
class PackDepthViews(BaseTransform):
    """Pack ``results['views']`` (from :class:`TwoViewDepthAug`) into ``{'inputs', 'data_samples'}``.

    - ``inputs``: ``(V, 3, H, W)`` float32 RGB in ``[0, 255]``;
    - ``data_samples``: ``BaseDataElement`` with ``gt_depth`` ``(V, 1, H, W)`` float32 metres and metainfo
      ``intrinsics`` (``V`` nested 3x3 lists), ``view_affine`` (``V`` lists ``(ax, bx, ay, by)``), ``img_shape`` and
      the ``meta_keys`` of the loaded sample.
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_id', 'img_path', 'depth_path', 'ori_shape')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        views: List[dict] = results.get('views')
        if not views:
            raise KeyError('PackDepthViews needs results["views"]; put TwoViewDepthAug before it')
        inputs = torch.stack([image_to_tensor(v['img']) for v in views])  # (V, 3, H, W)
        sample = BaseDataElement()
        if all(v.get('gt_depth') is not None for v in views):
            sample.gt_depth = torch.stack([image_to_tensor(v['gt_depth']) for v in views])  # (V, 1, H, W)
        metainfo = {key: results[key] for key in self.meta_keys if key in results}
        metainfo.update(intrinsics=[np.asarray(v['intrinsics'], dtype=np.float64).tolist() for v in views],
                        view_affine=[list(v['view_affine']) for v in views], img_shape=tuple(inputs.shape[-2:]))
        sample.set_metainfo(metainfo)
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
