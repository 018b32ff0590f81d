"""Loading, geometric augmentation and packing for monocular metric depth, keeping the intrinsics consistent.

``results`` keys: ``img`` ``(H, W, 3)`` uint8 RGB, ``gt_depth`` ``(H, W)`` float32 metres (0 = no value, optional),
``intrinsics`` ``(3, 3)`` float64 ``K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` in pixels, ``img_shape`` ``(H, W)``.

Pixel convention (as in :mod:`panguvision.utils.kitti_calib`): integer coordinates are pixel centres, 0-based; a
camera point ``(X, Y, Z)`` projects to ``u = fx X / Z + cx``, ``v = fy Y / Z + cy``. Every geometric transform maps
pixel coordinates by an affine map ``u' = a u + b`` and updates K so that the same 3D points project onto the moved
pixels:

- resize by ``sx = W' / W``: pixel *edges* scale by ``sx``, so the centre ``u`` (edge ``u + 0.5``) moves to
  ``(u + 0.5) sx - 0.5``; hence ``fx' = sx fx`` and ``cx' = (cx + 0.5) sx - 0.5`` (and the same with ``sy``). The
  naive ``cx' = sx cx`` is off by ``(sx - 1) / 2`` px, e.g. 0.75 px at 0.5x -- the half-pixel convention of OpenCV's
  and mmcv's resize, which these transforms match;
- crop at ``(left, top)``: ``cx' = cx - left``, ``cy' = cy - top``;
- horizontal flip: ``u' = (W - 1) - u``, hence ``cx' = (W - 1) - cx``; the flipped image is that of the mirrored
  scene ``(-X, Y, Z)`` (a flip cannot be expressed by a K with positive ``fx`` for the original points).

Depth is never interpolated: resizing samples it with the nearest source pixel (centre-aligned), so sparse LiDAR depth
keeps its values (points may be dropped when downsampling, never blended with "no value" zeros).
Randomness comes from numpy's global RNG, so mmengine's seeding controls it.
"""
from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.structures import BaseDataElement

from panguvision.datasets.transforms.formatting import image_to_tensor
from panguvision.registry import TRANSFORMS
from panguvision.utils.image_io import read_depth_png, read_image

__all__ = [
    'LoadDepthInputs', 'DepthResize', 'DepthRandomCrop', 'DepthCenterCrop', 'DepthRandomFlip', 'PackDepthInputs',
    'scale_intrinsics', 'crop_intrinsics', 'flip_intrinsics'
]


def scale_intrinsics(K: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """K after resizing the image by ``(sx, sy)`` (pixel-centre convention): ``fx' = sx fx``,
    ``cx' = (cx + 0.5) sx - 0.5``, and likewise ``fy, cy`` with ``sy``. Returns a new ``(3, 3)`` float64 array."""
    K = np.array(K, dtype=np.float64)
    K[0, :2] *= sx  # fx (and a skew term, if any)
    K[1, 1] *= sy
    K[0, 2] = (K[0, 2] + 0.5) * sx - 0.5
    K[1, 2] = (K[1, 2] + 0.5) * sy - 0.5
    return K


def crop_intrinsics(K: np.ndarray, left: int, top: int) -> np.ndarray:
    """K after cropping the image at column ``left``, row ``top``: ``cx -= left``, ``cy -= top``."""
    K = np.array(K, dtype=np.float64)
    K[0, 2] -= left
    K[1, 2] -= top
    return K


def flip_intrinsics(K: np.ndarray, width: int) -> np.ndarray:
    """K after a horizontal flip of a ``width``-pixel-wide image: ``cx' = (width - 1) - cx`` (mirrored scene)."""
    K = np.array(K, dtype=np.float64)
    K[0, 2] = (width - 1) - K[0, 2]
    return K


def _nearest_indices(src: int, dst: int) -> np.ndarray:
    """Source index of each of ``dst`` output samples, centre-aligned: ``floor((i + 0.5) * src / dst)``."""
    return np.minimum(np.floor((np.arange(dst) + 0.5) * (src / dst)).astype(np.int64), src - 1)


def _apply_crop(results: dict, top: int, left: int, h: int, w: int) -> dict:
    for key in ('img', 'gt_depth'):
        if results.get(key) is not None:
            results[key] = np.ascontiguousarray(results[key][top:top + h, left:left + w])
    results['intrinsics'] = crop_intrinsics(results['intrinsics'], left, top)
    results['img_shape'] = (h, w)
    return results


@TRANSFORMS.register_module()
class LoadDepthInputs(BaseTransform):
    """Read ``img_path`` / ``depth_path`` and the intrinsics of a depth data info.

    Adds ``img`` ``(H, W, 3)`` uint8 RGB (:func:`read_image`), ``gt_depth`` ``(H, W)`` float32 metres
    (:func:`read_depth_png` with the info's ``depth_scale``; skipped when ``depth_path`` is ``None``), ``intrinsics``
    ``(3, 3)`` float64, ``img_shape`` and ``ori_shape`` ``(H, W)``.

    Args:
        depth_scale: stored PNG value per metre used when the data info has no ``depth_scale``.
    """

    def __init__(self, depth_scale: float = 256.0) -> None:
        self.depth_scale = float(depth_scale)

    def transform(self, results: dict) -> dict:
        img = read_image(results['img_path'])
        results['img'] = img
        if results.get('depth_path') is not None:
            depth = read_depth_png(results['depth_path'], results.get('depth_scale') or self.depth_scale)
            if depth.shape != img.shape[:2]:
                raise ValueError(f'LoadDepthInputs: depth {results["depth_path"]!r} is {depth.shape[::-1]} (WxH) but '
                                 f'image {results["img_path"]!r} is {img.shape[1::-1]}')
            results['gt_depth'] = depth
        results['intrinsics'] = np.array(results['intrinsics'], dtype=np.float64).reshape(3, 3)
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(depth_scale={self.depth_scale})'


@TRANSFORMS.register_module()
class DepthResize(BaseTransform):
    """Resize image (``interpolation``) and depth (nearest, never interpolated) and rescale K.

    Exactly one of ``scale`` and ``scale_factor``:

    - ``scale=(w, h)``: the output size, or with ``keep_ratio`` the largest size of the input's aspect ratio that fits
      in ``w x h`` (``mmcv.rescale_size``);
    - ``scale_factor``: a float, or ``(fx, fy)`` factors (``keep_ratio`` ignored).

    K is updated with the *actual* factors ``sx = W' / W``, ``sy = H' / H`` after rounding the size to integers (see
    :func:`scale_intrinsics`). Depth output pixel ``i`` takes source pixel ``floor((i + 0.5) / s)``, so a point's depth
    lands within ``max(s, 1) / 2`` px of its re-projection with the new K (exactly on it when upsampling).

    Args:
        scale: target ``(w, h)``.
        scale_factor: resize factor(s).
        keep_ratio: keep the aspect ratio when ``scale`` is given.
        interpolation: image interpolation (mmcv name: ``'bilinear'``, ``'area'``, ``'bicubic'``, ...).
    """

    def __init__(self,
                 scale: Optional[Tuple[int, int]] = None,
                 scale_factor: Optional[Union[float, Tuple[float, float]]] = None,
                 keep_ratio: bool = False,
                 interpolation: str = 'bilinear') -> None:
        if (scale is None) == (scale_factor is None):
            raise ValueError(f'DepthResize needs exactly one of scale and scale_factor, got scale={scale}, '
                             f'scale_factor={scale_factor}')
        self.scale = None if scale is None else (int(scale[0]), int(scale[1]))
        self.scale_factor = scale_factor
        self.keep_ratio = keep_ratio
        self.interpolation = interpolation

    def _new_size(self, h: int, w: int) -> Tuple[int, int]:
        """``(w', h')``."""
        if self.scale is None:
            fx, fy = ((self.scale_factor, self.scale_factor) if np.isscalar(self.scale_factor) else self.scale_factor)
            return max(1, int(round(w * fx))), max(1, int(round(h * fy)))
        if self.keep_ratio:
            return mmcv.rescale_size((w, h), self.scale)
        return self.scale

    def transform(self, results: dict) -> dict:
        h, w = results['img'].shape[:2]
        new_w, new_h = self._new_size(h, w)
        results['img'] = mmcv.imresize(results['img'], (new_w, new_h), interpolation=self.interpolation)
        if results.get('gt_depth') is not None:
            depth = results['gt_depth']
            results['gt_depth'] = np.ascontiguousarray(
                depth[_nearest_indices(h, new_h)[:, None], _nearest_indices(w, new_w)[None, :]])
        results['intrinsics'] = scale_intrinsics(results['intrinsics'], new_w / w, new_h / h)
        results['img_shape'] = (new_h, new_w)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, scale_factor={self.scale_factor}, '
                f'keep_ratio={self.keep_ratio}, interpolation={self.interpolation!r})')


@TRANSFORMS.register_module()
class DepthRandomCrop(BaseTransform):
    """Crop image and depth to ``size = (h, w)`` at a uniformly random position; ``cx -= left``, ``cy -= top``.

    A crop larger than the image is clipped to the image size along that axis.
    """

    def __init__(self, size: Tuple[int, int]) -> None:
        self.size = (int(size[0]), int(size[1]))

    def transform(self, results: dict) -> dict:
        H, W = results['img'].shape[:2]
        h, w = min(self.size[0], H), min(self.size[1], W)
        top, left = np.random.randint(0, H - h + 1), np.random.randint(0, W - w + 1)
        return _apply_crop(results, int(top), int(left), h, w)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(size={self.size})'


@TRANSFORMS.register_module()
class DepthCenterCrop(DepthRandomCrop):
    """Crop image and depth to ``size = (h, w)`` at ``top = (H - h) // 2``, ``left = (W - w) // 2``; K as in
    :class:`DepthRandomCrop` (also its clipping)."""

    def transform(self, results: dict) -> dict:
        H, W = results['img'].shape[:2]
        h, w = min(self.size[0], H), min(self.size[1], W)
        return _apply_crop(results, (H - h) // 2, (W - w) // 2, h, w)


@TRANSFORMS.register_module()
class DepthRandomFlip(BaseTransform):
    """Flip image and depth horizontally with probability ``prob``; ``cx' = (W - 1) - cx``.

    Sets ``results['flip']`` (bool) and ``results['flip_direction']`` (``'horizontal'`` or ``None``).
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'DepthRandomFlip prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        flip = bool(np.random.rand() < self.prob)
        results['flip'], results['flip_direction'] = flip, 'horizontal' if flip else None
        if flip:
            for key in ('img', 'gt_depth'):
                if results.get(key) is not None:
                    results[key] = np.ascontiguousarray(results[key][:, ::-1])
            results['intrinsics'] = flip_intrinsics(results['intrinsics'], results['img'].shape[1])
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class PackDepthInputs(BaseTransform):
    """Pack ``results`` into ``{'inputs', 'data_samples'}``.

    - ``inputs``: ``(3, H, W)`` float32 RGB in ``[0, 255]``;
    - ``data_samples``: :class:`mmengine.structures.BaseDataElement` with ``gt_depth`` ``(1, H, W)`` float32 metres
      (when present; 0 = no value) and metainfo ``intrinsics`` (3x3 nested list, of the packed image), ``img_shape``
      and the ``meta_keys`` present in ``results``.

    Args:
        meta_keys: keys of ``results`` copied to the metainfo when present.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_id', 'img_path', 'depth_path', 'ori_shape', 'depth_scale', 'flip')
                 ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        data_sample = BaseDataElement()
        if results.get('gt_depth') is not None:
            data_sample.gt_depth = image_to_tensor(results['gt_depth'])  # (1, H, W) float32 metres
        metainfo = {key: results[key] for key in self.meta_keys if key in results}
        metainfo['intrinsics'] = np.asarray(results['intrinsics'], dtype=np.float64).tolist()
        metainfo['img_shape'] = tuple(img.shape[:2])
        data_sample.set_metainfo(metainfo)
        return dict(inputs=image_to_tensor(img), data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
