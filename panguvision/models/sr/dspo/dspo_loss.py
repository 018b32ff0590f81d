"""DSPO: Direct Semantic Preference Optimisation, the instance-level Diffusion-DPO objective.

Diffusion-DPO (Wallace et al., 2024) replaces the intractable image log-likelihood ratio of DPO by denoising errors:
with noise ``eps`` added to a latent ``x`` at time ``t`` and the model's prediction ``eps_theta``,
``log p_theta(x) / p_ref(x)  ~  -(||eps - eps_theta(x_t)||^2 - ||eps - eps_ref(x_t)||^2)`` (up to a positive
factor and constants that cancel between winner and loser). DSPO (no public code; facts in docs/ANCHORS.md) applies it
per semantic instance ``m`` (a SAM mask ``s_m``) whose best / worst candidate were chosen by a judge, weighting
instances by area ``w_m = |s_m| / sum_k |s_k|``::

    L = - sum_m w_m log sigmoid( -beta * [ (e_theta(w_m) - e_ref(w_m)) - (e_theta(l_m) - e_ref(l_m)) ] )

where ``e(n)`` is the mean squared denoising error of candidate ``n`` inside instance ``m``'s mask. The loss is written
here on the errors so that any denoiser (epsilon, v or flow-matching velocity prediction: the matching target is the
caller's) plugs in; :func:`masked_denoising_errors` computes ``e`` for all candidates and instances at once.

Written by hand: diffusers and trl have Diffusion-DPO training scripts, not an instance-masked loss to import.
"""
from typing import Optional

import torch
import torch.nn.functional as F


def masks_to_latent(masks: torch.Tensor, latent_hw: tuple) -> torch.Tensor:
    """Instance masks at image resolution ``(M, H, W)`` (bool or [0, 1]) -> soft masks at latent resolution
    ``(M, h, w)`` in [0, 1] by area averaging (the fraction of each latent cell's pixels inside the instance)."""
    if masks.ndim != 3:
        raise ValueError(f'masks must be (M, H, W), got {tuple(masks.shape)}')
    return F.adaptive_avg_pool2d(masks[None].float(), latent_hw)[0]


def area_weights(masks: torch.Tensor) -> torch.Tensor:
    """``w_m = |s_m| / sum_k |s_k|`` for masks ``(M, H, W)``; ``(M,)`` summing to 1."""
    areas = masks.flatten(1).float().sum(1)
    if float(areas.sum()) <= 0:
        raise ValueError('every instance mask is empty: DSPO needs at least one non-empty instance')
    return areas / areas.sum()


def masked_denoising_errors(pred: torch.Tensor, target: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Mean squared denoising error of each candidate inside each instance.

    Args:
        pred: ``(N, C, h, w)`` the denoiser's output for N candidates.
        target: ``(N, C, h, w)`` its regression target (noise, velocity, ...).
        masks: ``(M, h, w)`` soft instance masks at latent resolution (see :func:`masks_to_latent`).

    Returns:
        ``(N, M)``: ``sum_{c,y,x} s_m (pred - target)^2 / (C * sum s_m)``; an empty mask gives 0.
    """
    if pred.shape != target.shape or pred.ndim != 4:
        raise ValueError(f'pred and target must be equal (N, C, h, w), got {tuple(pred.shape)} / {tuple(target.shape)}')
    if masks.shape[-2:] != pred.shape[-2:]:
        raise ValueError(f'masks {tuple(masks.shape)} must be at latent resolution {tuple(pred.shape[-2:])}')
    sq = (pred - target).pow(2).mean(1)  # (N, h, w)
    masks = masks.to(sq.dtype)
    return torch.einsum('nyx,myx->nm', sq, masks) / masks.flatten(1).sum(1).clamp_min(1e-12)


def dspo_loss(errors: torch.Tensor,
              ref_errors: torch.Tensor,
              winners: torch.Tensor,
              losers: torch.Tensor,
              weights: Optional[torch.Tensor] = None,
              beta: float = 5000.0) -> torch.Tensor:
    """The DSPO objective for one LQ image.

    Args:
        errors: ``(N, M)`` trained model's masked denoising errors (:func:`masked_denoising_errors`).
        ref_errors: ``(N, M)`` the frozen reference model's, same noise and timestep.
        winners / losers: ``(M,)`` long, the preferred / rejected candidate of each instance.
        weights: ``(M,)`` instance weights (default: uniform); area weights from :func:`area_weights`.
        beta: KL-regularisation strength (Diffusion-DPO uses a few thousand; the error scale sets its range).

    Returns:
        Scalar loss. It equals ``log 2`` with zero gradient when winner and loser are the same sample, and decreasing
        it lowers the model's error on winners relative to losers (both tested).
    """
    if errors.shape != ref_errors.shape or errors.ndim != 2:
        raise ValueError(f'errors and ref_errors must be equal (N, M), got {tuple(errors.shape)} / '
                         f'{tuple(ref_errors.shape)}')
    num_instances = errors.shape[1]
    if winners.shape != (num_instances, ) or losers.shape != (num_instances, ):
        raise ValueError(f'winners/losers must be ({num_instances},), got {tuple(winners.shape)} / '
                         f'{tuple(losers.shape)}')
    if weights is None:
        weights = errors.new_full((num_instances, ), 1.0 / num_instances)
    cols = torch.arange(num_instances, device=errors.device)
    diff = errors - ref_errors.detach()
    logits = -beta * (diff[winners, cols] - diff[losers, cols])
    return -(weights.to(errors.dtype) * F.logsigmoid(logits)).sum()
