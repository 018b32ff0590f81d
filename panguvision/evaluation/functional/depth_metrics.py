"""Monocular depth errors of the KITTI / NYUv2 literature (Eigen et al. 2014), on numpy arrays in metres.

The protocol follows the public evaluation code of BTS (``cleinc/bts``, ``pytorch/bts_eval.py``), AdaBins
(``shariqfarooq123/AdaBins``, ``evaluate.py``) and Monodepth2 (``nianticlabs/monodepth2``, ``evaluate_depth.py``):

1. the prediction is clipped to ``[min_depth, max_depth]`` (NaN -> ``min_depth``, +inf -> ``max_depth``);
2. a ground-truth pixel counts when ``min_depth < gt < max_depth`` (strict, as in all three) and, with a crop, lies
   inside the crop box;
3. the errors are computed per image over those pixels (:func:`depth_errors`); a dataset score is the mean of the
   per-image values (done by :class:`panguvision.evaluation.metrics.DepthMetric`).

``silog`` is ``100 * sqrt(mean(d^2) - mean(d)^2)`` with ``d = log(pred) - log(gt)``: the population standard
deviation of the log error times 100, exactly BTS's and AdaBins' ``compute_errors``. It is evaluated as
``100 * sqrt(np.var(d))``, the same quantity without the cancellation that can make ``mean(d^2) - mean(d)^2``
slightly negative (NaN) for a perfect prediction. UniDepth's own evaluation uses ``100 * torch.std(d)``, which is the
Bessel-corrected (``N - 1``) standard deviation: larger by ``sqrt(N / (N - 1))``, i.e. identical to 4 digits for the
thousands of pixels of a real image.
"""
from typing import Dict, Optional, Tuple

import numpy as np

__all__ = ['DEPTH_CROPS', 'DEPTH_METRIC_KEYS', 'clip_depth', 'crop_box', 'depth_errors', 'eval_mask',
           'evaluate_depth']

#: Keys of :func:`depth_errors`, in the order the literature prints them.
DEPTH_METRIC_KEYS = ('d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10', 'silog')

#: Evaluation crops. Fractions of ``(H, W)`` as ``(top, bottom, left, right)``, truncated with ``int()`` like the
#: reference code, or fixed pixel boxes for a given image size.
#:
#: - ``'garg'``: Garg et al. ECCV 2016 crop for KITTI (BTS, AdaBins ``--garg_crop``; Monodepth2 ``eigen`` split).
#: - ``'eigen'``: Eigen et al. NIPS 2014 crop for KITTI (BTS, AdaBins ``--eigen_crop --dataset kitti``).
#: - ``'nyu_eigen'``: Eigen crop for NYUv2, rows 45:471 and columns 41:601 of the 480x640 image (BTS, AdaBins
#:   ``--eigen_crop --dataset nyu``).
DEPTH_CROPS = {
    'garg': dict(fractions=(0.40810811, 0.99189189, 0.03594771, 0.96405229)),
    'eigen': dict(fractions=(0.3324324, 0.91351351, 0.0359477, 0.96405229)),
    'nyu_eigen': dict(box=(45, 471, 41, 601), shape=(480, 640)),
}


def crop_box(crop: str, height: int, width: int) -> Tuple[int, int, int, int]:
    """Pixel box ``(top, bottom, left, right)`` (half-open, ``[top:bottom, left:right]``) of a named crop.

    Raises:
        ValueError: unknown crop, or ``'nyu_eigen'`` on an image that is not 480x640.
    """
    if crop not in DEPTH_CROPS:
        raise ValueError(f'unknown depth evaluation crop {crop!r}; expected one of {sorted(DEPTH_CROPS)} or None')
    spec = DEPTH_CROPS[crop]
    if 'box' in spec:
        if (height, width) != spec['shape']:
            raise ValueError(f'crop {crop!r} is defined on {spec["shape"][0]}x{spec["shape"][1]} images, '
                             f'got {height}x{width}')
        return spec['box']
    top, bottom, left, right = spec['fractions']
    return int(top * height), int(bottom * height), int(left * width), int(right * width)


def eval_mask(gt: np.ndarray, min_depth: float = 1e-3, max_depth: float = 80.0,
              crop: Optional[str] = None) -> np.ndarray:
    """Pixels of an ``(H, W)`` ground-truth depth map (metres, 0 = no value) that are evaluated.

    Args:
        gt: ``(H, W)`` ground-truth depth in metres.
        min_depth: pixels with ``gt <= min_depth`` are ignored (this also drops the 0 "no value" code).
        max_depth: pixels with ``gt >= max_depth`` are ignored.
        crop: ``None``, ``'garg'``, ``'eigen'`` (KITTI) or ``'nyu_eigen'``; see :data:`DEPTH_CROPS`.

    Returns:
        ``(H, W)`` bool mask.
    """
    gt = np.asarray(gt)
    if gt.ndim != 2:
        raise ValueError(f'expected an (H, W) ground-truth depth map, got shape {gt.shape}')
    with np.errstate(invalid='ignore'):
        mask = np.isfinite(gt) & (gt > min_depth) & (gt < max_depth)
    if crop is not None:
        top, bottom, left, right = crop_box(crop, *gt.shape)
        in_box = np.zeros_like(mask)
        in_box[top:bottom, left:right] = True
        mask &= in_box
    return mask


def clip_depth(pred: np.ndarray, min_depth: float = 1e-3, max_depth: float = 80.0) -> np.ndarray:
    """Clip a predicted depth map (metres) to ``[min_depth, max_depth]`` as BTS does: NaN -> ``min_depth``,
    +inf -> ``max_depth``. Returns a new float64 array."""
    pred = np.array(pred, dtype=np.float64)
    pred[np.isnan(pred)] = min_depth
    return np.clip(pred, min_depth, max_depth)


def depth_errors(pred: np.ndarray, gt: np.ndarray, valid_mask: np.ndarray) -> Dict[str, np.float64]:
    """The nine standard depth errors of one image over its valid pixels.

    Args:
        pred: predicted depth in metres, any shape; positive on the valid pixels.
        gt: ground-truth depth in metres, same shape; positive on the valid pixels.
        valid_mask: bool array, same shape; only these pixels are measured.

    Returns:
        float64 values keyed by :data:`DEPTH_METRIC_KEYS`: ``d1, d2, d3`` fractions in ``[0, 1]`` of pixels with
        ``max(pred / gt, gt / pred) < 1.25 ** k``; ``abs_rel = mean(|pred - gt| / gt)``;
        ``sq_rel = mean((pred - gt) ** 2 / gt)`` (metres); ``rmse`` (metres); ``rmse_log`` (natural log);
        ``log10 = mean(|log10 pred - log10 gt|)``; ``silog = 100 * std(log pred - log gt)`` (population std, see
        the module docstring).

    Raises:
        ValueError: shapes differ, no pixel is valid, or a valid pixel is not a positive finite depth.
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    valid_mask = np.asarray(valid_mask, dtype=bool)
    if not pred.shape == gt.shape == valid_mask.shape:
        raise ValueError(f'shapes differ: pred {pred.shape}, gt {gt.shape}, valid_mask {valid_mask.shape}')
    pred, gt = pred[valid_mask], gt[valid_mask]
    if gt.size == 0:
        raise ValueError('no valid pixel to evaluate')
    for name, values in (('pred', pred), ('gt', gt)):
        if not (np.all(np.isfinite(values)) and np.all(values > 0)):
            raise ValueError(f'{name} must be positive and finite on the valid pixels (clip the prediction first)')

    ratio = np.maximum(pred / gt, gt / pred)
    diff = pred - gt
    log_diff = np.log(pred) - np.log(gt)
    errors = dict(
        d1=np.mean(ratio < 1.25),
        d2=np.mean(ratio < 1.25**2),
        d3=np.mean(ratio < 1.25**3),
        abs_rel=np.mean(np.abs(diff) / gt),
        sq_rel=np.mean(diff**2 / gt),
        rmse=np.sqrt(np.mean(diff**2)),
        rmse_log=np.sqrt(np.mean(log_diff**2)),
        log10=np.mean(np.abs(np.log10(pred) - np.log10(gt))),
        silog=100.0 * np.sqrt(np.var(log_diff)),
    )
    return {key: np.float64(errors[key]) for key in DEPTH_METRIC_KEYS}


def evaluate_depth(pred: np.ndarray, gt: np.ndarray, min_depth: float = 1e-3, max_depth: float = 80.0,
                   crop: Optional[str] = None) -> Optional[Dict[str, np.float64]]:
    """The whole per-image protocol: clip ``pred``, mask ``gt`` (:func:`eval_mask`), then :func:`depth_errors`.

    Args:
        pred: ``(H, W)`` predicted depth in metres.
        gt: ``(H, W)`` ground-truth depth in metres (0 = no value), same shape (no resizing is done here).
        min_depth, max_depth: evaluation range in metres.
        crop: see :func:`eval_mask`.

    Returns:
        The errors, or ``None`` when the image has no valid ground-truth pixel.
    """
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f'prediction {pred.shape} and ground truth {gt.shape} differ in shape; resize the '
                         'prediction to the ground truth first')
    mask = eval_mask(gt, min_depth, max_depth, crop)
    if not mask.any():
        return None
    return depth_errors(clip_depth(pred, min_depth, max_depth), gt, mask)
