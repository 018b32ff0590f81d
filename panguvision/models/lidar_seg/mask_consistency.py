"""Class-agnostic use of image masks: the points seen inside one mask should share one class distribution.

Unlike a hard pseudo-label (the class a mask's vote picks, see ``pseudo_label.vote_masks_sparse``), this never names a
class: each voxel projected into a mask is pulled towards the detached mean class distribution of all the voxels in
that mask (KL divergence), so the masks only say "these points belong together". When the LiDAR branch is wrong on a
whole object the loss does not make it more wrong (the mean of a uniformly wrong object is that same prediction); it
makes the prediction consistent within masks and sharper where the voxels of a mask already mostly agree.
"""
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['mask_index_map', 'group_mean_distribution', 'mask_consistency_loss']


def mask_index_map(masks: Sequence[np.ndarray], device=None) -> Tensor:
    """Which mask each pixel belongs to: ``(H, W)`` long, the index (into ``masks``) of the smallest mask that
    covers the pixel (the painting order of ``vote_masks_sparse``: where masks overlap the smaller one wins), -1 where
    no mask covers it.

    Args:
        masks: ``M >= 1`` boolean ``(H, W)`` masks (numpy arrays or tensors).
        device: device of the result (default: CPU).
    """
    if not len(masks):
        raise ValueError('mask_index_map needs at least one mask to know the image size')
    ms = [torch.as_tensor(np.asarray(m), device=device).bool() for m in masks]
    h, w = ms[0].shape
    out = torch.full((h, w), -1, dtype=torch.long, device=device)
    for i in sorted(range(len(ms)), key=lambda i: -int(ms[i].sum())):
        if ms[i].shape != (h, w):
            raise ValueError(f'all masks must have the same shape, got {tuple(ms[i].shape)} and {(h, w)}')
        out[ms[i]] = i
    return out


def group_mean_distribution(probs: Tensor, groups: Tensor, num_groups: int) -> Tensor:
    """``(G, C)``: the mean class distribution of each group, from ``(n, C)`` probabilities and ``(n,)`` group
    indices in ``[0, G)``; a group with no member is all zeros."""
    mean = torch.zeros(num_groups, probs.shape[1], device=probs.device, dtype=probs.dtype)
    mean.index_add_(0, groups, probs)
    return mean / mean.sum(1, keepdim=True).clamp(min=1e-12)


def mask_consistency_loss(logits: Tensor, groups: Tensor, min_size: int = 3, temperature: float = 1.0) -> Tensor:
    """Mean over the grouped voxels of ``KL(q_g || softmax(logits_i))``, ``q_g`` the detached mean class
    distribution of the voxels of group ``g`` (one group = the voxels seen in one mask of one scan).

    Args:
        logits (Tensor): ``(n, C)`` class logits of the voxels (gradients flow into them).
        groups (Tensor): ``(n,)`` long group id of each voxel; ``-1`` = in no mask (no loss).
        min_size (int): groups with fewer voxels get no loss (a single voxel is trivially consistent).
        temperature (float): the target is ``q_g ** (1 / temperature)`` renormalised; 1 = the plain mean, < 1 sharper
            (towards a hard pseudo-label of the group's majority class).
    Returns:
        Tensor: scalar loss (0, still attached to ``logits``, when no group qualifies).
    """
    if logits.dim() != 2 or groups.shape != logits.shape[:1]:
        raise ValueError(f'expected logits (n, C) and groups (n,), got {tuple(logits.shape)} and {tuple(groups.shape)}')
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    ok = groups >= 0
    if not bool(ok.any()):
        return logits.sum() * 0
    _, inv, counts = torch.unique(groups[ok], return_inverse=True, return_counts=True)
    keep = counts[inv] >= max(min_size, 1)
    if not bool(keep.any()):
        return logits.sum() * 0
    log_p = F.log_softmax(logits[ok][keep], 1)
    inv = inv[keep]
    with torch.no_grad():
        q = group_mean_distribution(log_p.exp(), inv, len(counts))
        if temperature != 1.0:
            q = q.clamp(min=1e-12) ** (1.0 / temperature)
            q = q / q.sum(1, keepdim=True)
        target = q[inv]
    kl = (target * (target.clamp(min=1e-12).log() - log_p)).sum(1)
    return kl.mean()
