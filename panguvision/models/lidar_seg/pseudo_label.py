"""Pixel pseudo-labels: class-agnostic image masks fused with rendered semantics.

A *mask generator* maps an ``(H, W, 3)`` uint8 RGB image to a list of dicts with a boolean ``segmentation``
``(H, W)`` and an ``area`` (pixels), the output format of segment-anything's ``SamAutomaticMaskGenerator``:

* :class:`SamMaskGenerator` wraps ``SamAutomaticMaskGenerator`` around a SAM built from a local checkpoint, or around a
  tiny randomly initialised SAM (``tiny_random=True``; its masks are noise: for wiring tests only).
* :class:`SuperpixelMaskGenerator` gives unsupervised segments (scikit-image Felzenszwalb or SLIC) through the same
  interface, the stand-in when no SAM weights are available.

:func:`fuse_masks_with_semantics` votes inside every mask with the rendered class probabilities and writes the winning
class to the mask's pixels when the vote is confident enough; every other pixel gets ``ignore_index``.
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from panguvision.registry import TASK_UTILS
from .mask_consistency import group_mean_distribution

__all__ = ['SamMaskGenerator', 'SuperpixelMaskGenerator', 'fuse_masks_with_semantics', 'vote_masks_sparse',
           'class_balanced_thresholds', 'split_groups_by_depth', 'vote_groups']


@TASK_UTILS.register_module()
class SamMaskGenerator:
    """segment-anything's automatic mask generator.

    Args:
        checkpoint (str, optional): local SAM checkpoint (``sam_vit_b_01ec64.pth`` etc.); required unless
            ``tiny_random``. Nothing is downloaded.
        model_type (str): ``'vit_b'``, ``'vit_l'`` or ``'vit_h'``.
        tiny_random (bool): a tiny random SAM (``panguvision.models.sam_utils``, model_type ``tiny``) instead of a
            checkpoint.
        device (str): device of the SAM model.
        generator_kwargs: passed to ``SamAutomaticMaskGenerator`` (``points_per_side``, ``pred_iou_thresh``, ...).
    """

    def __init__(self, checkpoint: Optional[str] = None, model_type: str = 'vit_b', tiny_random: bool = False,
                 device: str = 'cpu', **generator_kwargs) -> None:
        from segment_anything import SamAutomaticMaskGenerator

        from panguvision.models.sam_utils import build_sam_model
        if tiny_random:
            sam = build_sam_model('tiny')
        else:
            import os.path as osp
            if not checkpoint or not osp.isfile(checkpoint):
                raise FileNotFoundError(f'SAM checkpoint not found: {checkpoint!r}; give a local path to the official '
                                        f'{model_type} weights (nothing is downloaded) or use tiny_random=True')
            sam = build_sam_model(model_type, checkpoint)
        self.generator = SamAutomaticMaskGenerator(sam.to(device), **generator_kwargs)

    def __call__(self, image: np.ndarray) -> List[Dict]:
        with torch.no_grad():
            return self.generator.generate(image)


@TASK_UTILS.register_module()
class SuperpixelMaskGenerator:
    """Unsupervised image segments (scikit-image) in SAM's output format.

    Args:
        method (str): ``'felzenszwalb'`` or ``'slic'``.
        kwargs: passed to ``skimage.segmentation.<method>`` (e.g. ``scale``, ``sigma``, ``min_size`` /
            ``n_segments``, ``compactness``).
    """

    def __init__(self, method: str = 'felzenszwalb', **kwargs) -> None:
        if method not in ('felzenszwalb', 'slic'):
            raise ValueError(f"method must be 'felzenszwalb' or 'slic', got {method!r}")
        self.method, self.kwargs = method, kwargs

    def __call__(self, image: np.ndarray) -> List[Dict]:
        from skimage import segmentation
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'expected an (H, W, 3) RGB image, got shape {image.shape}')
        seg = getattr(segmentation, self.method)(image, **self.kwargs)
        out = []
        for label in np.unique(seg):
            m = seg == label
            out.append(dict(segmentation=m, area=int(m.sum())))
        return out


def fuse_masks_with_semantics(masks: Sequence[np.ndarray], probs: Tensor, valid: Optional[Tensor] = None,
                              mode: str = 'confidence', threshold: float = 0.5,
                              ignore_index: int = 255) -> Dict[str, Tensor]:
    """Pixel pseudo-labels from class-agnostic masks and rendered class probabilities.

    Args:
        masks: ``M`` boolean ``(H, W)`` masks (numpy or tensors).
        probs (Tensor): ``(C, H, W)`` rendered class probabilities (only read where ``valid``).
        valid (Tensor, optional): ``(H, W)`` bool, pixels where ``probs`` was rendered (e.g. a ray grid); default all.
        mode (str): ``'majority'``: each valid pixel votes for its arg-max class, confidence = winning vote share;
            ``'confidence'``: probabilities are summed, confidence = the mean probability of the winning class.
        threshold (float): a mask whose confidence is below it stays ``ignore_index``.
        ignore_index (int): label of unsupervised pixels.
    Returns:
        dict: ``labels`` ``(H, W)`` long and ``confidence`` ``(H, W)`` float (0 where ignored). Where masks overlap the
        smaller mask wins (masks are painted from the largest to the smallest).
    """
    if mode not in ('majority', 'confidence'):
        raise ValueError(f"mode must be 'majority' or 'confidence', got {mode!r}")
    num_classes, h, w = probs.shape
    if valid is None:
        valid = torch.ones(h, w, dtype=torch.bool, device=probs.device)
    labels = torch.full((h, w), ignore_index, dtype=torch.long, device=probs.device)
    conf = torch.zeros(h, w, device=probs.device)
    masks = [torch.as_tensor(np.asarray(m), device=probs.device).bool() for m in masks]
    for i, m in enumerate(masks):
        if m.shape != (h, w):
            raise ValueError(f'mask {i} has shape {tuple(m.shape)}, expected {(h, w)} like the probabilities')
    flat = probs.reshape(num_classes, -1)
    for m in sorted(masks, key=lambda m: -int(m.sum())):
        voters = (m & valid).flatten()
        n = int(voters.sum())
        if n == 0:
            continue
        _paint_vote(labels, conf, m, flat[:, voters].T, mode, threshold, ignore_index)
    return dict(labels=labels, confidence=conf)


def _winner(score: Tensor, threshold: Union[float, Tensor]):
    """``(c, passed)``: the winning class of the ``(..., C)`` vote ``score`` and whether it reaches ``threshold`` (a
    float, or a ``(C,)`` tensor of per-class thresholds, the winner's entry applying)."""
    top, c = score.max(-1)
    thr = threshold[c] if isinstance(threshold, Tensor) else threshold
    return c, top >= thr


def _paint_vote(labels: Tensor, conf: Tensor, mask: Tensor, probs: Tensor, mode: str, threshold,
                ignore_index: int) -> None:
    """Vote of the ``(n, C)`` voter probabilities of one mask; paint the winner (or ``ignore_index``) in place.
    ``threshold``: a float, or a ``(C,)`` tensor of per-class thresholds (the winner's entry applies)."""
    if mode == 'majority':
        score = torch.bincount(probs.argmax(1), minlength=probs.shape[1]).float() / len(probs)
    else:
        score = probs.sum(0) / len(probs)
    c, passed = _winner(score, threshold)
    c = int(c)
    if bool(passed):
        labels[mask] = c
        conf[mask] = score[c]
    else:
        labels[mask] = ignore_index
        conf[mask] = 0


def vote_masks_sparse(masks: Sequence[np.ndarray], voter_rc: Tensor, voter_probs: Tensor, mode: str = 'confidence',
                      threshold: Union[float, Tensor] = 0.5, min_voters: int = 1,
                      ignore_index: int = 255) -> Dict[str, Tensor]:
    """Full-resolution pixel pseudo-labels from masks and class probabilities at scattered voter pixels.

    Like :func:`fuse_masks_with_semantics`, but the voters are arbitrary pixels (e.g. the LiDAR points of the scan
    projected into the image with the LiDAR branch's class probabilities, or a sparse grid of rendered rays) and
    every mask that wins a confident vote is painted at full resolution, so that the labels can be read back at any
    pixel (a LiDAR point's, a ray's).

    Args:
        masks: ``M`` boolean ``(H, W)`` masks.
        voter_rc (Tensor): ``(n, 2)`` long (row, column) of each voter, inside the image.
        voter_probs (Tensor): ``(n, C)`` class probabilities of each voter.
        mode, threshold, ignore_index: as in :func:`fuse_masks_with_semantics`; ``threshold`` may also be a ``(C,)``
            tensor of per-class thresholds (see :func:`class_balanced_thresholds`): the winning class's applies.
        min_voters (int): a mask with fewer voters stays ``ignore_index``.
    Returns:
        dict: ``labels`` ``(H, W)`` long, ``confidence`` ``(H, W)``; masks are painted from the largest to the
        smallest, a smaller confident mask overwriting a larger one.
    """
    if mode not in ('majority', 'confidence'):
        raise ValueError(f"mode must be 'majority' or 'confidence', got {mode!r}")
    if not masks:
        raise ValueError('vote_masks_sparse needs at least one mask to know the image size')
    device = voter_probs.device
    masks = [torch.as_tensor(np.asarray(m), device=device).bool() for m in masks]
    h, w = masks[0].shape
    labels = torch.full((h, w), ignore_index, dtype=torch.long, device=device)
    conf = torch.zeros(h, w, device=device)
    for m in sorted(masks, key=lambda m: -int(m.sum())):
        if m.shape != (h, w):
            raise ValueError(f'all masks must have the same shape, got {tuple(m.shape)} and {(h, w)}')
        inside = m[voter_rc[:, 0], voter_rc[:, 1]]
        n = int(inside.sum())
        if n < max(min_voters, 1):
            labels[m] = ignore_index
            conf[m] = 0
            continue
        _paint_vote(labels, conf, m, voter_probs[inside], mode, threshold, ignore_index)
    return dict(labels=labels, confidence=conf)


def class_balanced_thresholds(probs: Tensor, keep_ratio: float, min_count: int = 10) -> Tensor:
    """Per-class confidence thresholds of class-balanced self-training (CBST, Zou et al., ECCV 2018).

    For every class ``c``, the threshold is the confidence that the most confident ``keep_ratio`` of the voters
    predicted as ``c`` reach: the ``(1 - keep_ratio)`` quantile of their winning probability. A class the model is
    less sure of gets a lower threshold, so that the pseudo-labels do not drift towards the classes it is confident on.

    Args:
        probs (Tensor): ``(n, C)`` class probabilities.
        keep_ratio (float): in (0, 1], the fraction of each class's predictions above its threshold.
        min_count (int): classes predicted fewer times get NaN (no estimate).
    Returns:
        Tensor: ``(C,)`` thresholds, NaN for classes with fewer than ``min_count`` predictions.
    """
    if not 0.0 < keep_ratio <= 1.0:
        raise ValueError(f'keep_ratio must be in (0, 1], got {keep_ratio}')
    conf, pred = probs.max(1)
    out = torch.full((probs.shape[1],), float('nan'), device=probs.device)
    for c in range(probs.shape[1]):
        cc = conf[pred == c]
        if len(cc) >= max(min_count, 1):
            out[c] = torch.quantile(cc.float(), 1.0 - keep_ratio)
    return out


def split_groups_by_depth(groups: Tensor, depth: Tensor, max_gap: float) -> Tensor:
    """Split every group of points into runs along depth with no gap wider than ``max_gap``.

    An image mask can span objects at different distances (a thin pole merged with the wall behind it): its points,
    sorted by their depth, then show a gap of free space. Each run between such gaps becomes a group of its own.

    Args:
        groups (Tensor): ``(n,)`` long group id of each point (e.g. its mask); ``-1`` = in no group (kept).
        depth (Tensor): ``(n,)`` depth of each point (metres, e.g. along the camera's optical axis).
        max_gap (float): metres; consecutive depths (within a group) further apart than this start a new group.
    Returns:
        Tensor: ``(n,)`` long new group ids, ``0..G-1`` over the points with ``groups >= 0``, ``-1`` elsewhere.
    """
    if groups.shape != depth.shape or groups.dim() != 1:
        raise ValueError(f'expected groups and depth of one shape (n,), got {tuple(groups.shape)} and '
                         f'{tuple(depth.shape)}')
    if max_gap <= 0:
        raise ValueError(f'max_gap must be > 0 metres, got {max_gap}')
    out = torch.full_like(groups, -1)
    ok = (groups >= 0).nonzero().squeeze(1)
    if not len(ok):
        return out
    g, d = groups[ok], depth[ok]
    order = torch.sort(d, stable=True).indices
    order = order[torch.sort(g[order], stable=True).indices]  # by group, then by depth
    gs, ds = g[order], d[order]
    new = torch.ones(len(order), dtype=torch.bool, device=groups.device)
    new[1:] = (gs[1:] != gs[:-1]) | (ds[1:] - ds[:-1] > max_gap)
    out[ok[order]] = torch.cumsum(new.long(), 0) - 1
    return out


def vote_groups(groups: Tensor, probs: Tensor, mode: str = 'confidence', threshold: Union[float, Tensor] = 0.5,
                min_voters: int = 1, ignore_index: int = 255) -> Tensor:
    """Per-point pseudo-labels from a vote inside each group of points (the point-level counterpart of
    :func:`vote_masks_sparse`, for groups that are not image regions, e.g. :func:`split_groups_by_depth`'s).

    Args:
        groups (Tensor): ``(n,)`` long group ids, ``-1`` = no group (gets ``ignore_index``).
        probs (Tensor): ``(n, C)`` class probabilities of the points, which are also the voters.
        mode, threshold, ignore_index: as in :func:`vote_masks_sparse`.
        min_voters (int): a group with fewer points gets ``ignore_index``.
    Returns:
        Tensor: ``(n,)`` long, each point's group's winning class, or ``ignore_index``.
    """
    if mode not in ('majority', 'confidence'):
        raise ValueError(f"mode must be 'majority' or 'confidence', got {mode!r}")
    if groups.shape != probs.shape[:1] or probs.dim() != 2:
        raise ValueError(f'expected groups (n,) and probs (n, C), got {tuple(groups.shape)} and {tuple(probs.shape)}')
    labels = torch.full_like(groups, ignore_index)
    ok = groups >= 0
    if not bool(ok.any()):
        return labels
    _, inv, counts = torch.unique(groups[ok], return_inverse=True, return_counts=True)
    p = probs[ok]
    if mode == 'majority':
        p = torch.nn.functional.one_hot(p.argmax(1), probs.shape[1]).to(probs.dtype)
    score = group_mean_distribution(p, inv, len(counts))
    c, passed = _winner(score, threshold)
    passed &= counts >= max(min_voters, 1)
    labels[ok] = torch.where(passed, c, torch.full_like(c, ignore_index))[inv]
    return labels
