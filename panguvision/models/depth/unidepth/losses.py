"""UniDepth losses: scale-invariant log (SILog), geometric invariance between two views, camera-ray regression.

Defaults follow the paper's weights: SILog 1.0, geometric invariance 0.1, camera 0.25.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from panguvision.registry import MODELS
from .geometry import generate_rays, rays_to_angles

__all__ = ['SILogLoss', 'GeometricInvarianceLoss', 'CameraRayLoss', 'warp_between_views']


@MODELS.register_module()
class SILogLoss(nn.Module):
    """Scale-invariant log loss (Eigen et al. 2014) per image, averaged over the batch.

    With ``d = log(pred) - log(gt)`` over the valid pixels (``gt > min_depth``):
    ``sqrt(mean(d^2) - lambda_var * mean(d)^2 + eps) - sqrt(eps)``. ``lambda_var < 1`` keeps a share of the absolute
    log-scale error, so metric scale is learnt; the ``- sqrt(eps)`` makes an exact prediction cost exactly 0.

    Args:
        lambda_var: weight of the squared mean (0.85 as in BTS / UniDepth).
        min_depth: ground truth at or below this (metres, 0 = no value) is ignored.
        loss_weight: multiplier.
    """

    def __init__(self, lambda_var: float = 0.85, min_depth: float = 1e-3, eps: float = 1e-6,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.lambda_var, self.min_depth, self.eps, self.loss_weight = lambda_var, min_depth, eps, loss_weight

    def forward(self, pred_log_depth: torch.Tensor, gt_depth: torch.Tensor) -> torch.Tensor:
        """``pred_log_depth``: ``(B, 1, H, W)`` natural log of metres; ``gt_depth``: ``(B, 1, H, W)`` metres."""
        if pred_log_depth.shape != gt_depth.shape:
            raise ValueError(f'SILogLoss: prediction {tuple(pred_log_depth.shape)} and ground truth '
                             f'{tuple(gt_depth.shape)} differ')
        mask = torch.isfinite(gt_depth) & (gt_depth > self.min_depth)
        diff = torch.where(mask, pred_log_depth - gt_depth.clamp(min=self.min_depth).log(), 0.0).flatten(1)
        count = mask.flatten(1).sum(1)
        valid = count > 0
        if not valid.any():
            return pred_log_depth.sum() * 0.0
        count = count[valid].float()
        mean = diff[valid].sum(1) / count
        mean_sq = diff[valid].pow(2).sum(1) / count
        var = (mean_sq - self.lambda_var * mean.pow(2)).clamp(min=0.0)
        loss = (var + self.eps).sqrt() - self.eps**0.5
        return self.loss_weight * loss.mean()


def warp_between_views(src: torch.Tensor, affine_src: torch.Tensor, affine_dst: torch.Tensor,
                       dst_shape: Tuple[int, int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Resample a map of view ``src`` onto the pixel grid of view ``dst`` of the same original image.

    Each view's ``affine = (ax, bx, ay, by)`` maps original pixel-centre coordinates to the view's:
    ``u_view = ax u + bx``, ``v_view = ay v + by`` (``ax < 0`` for a horizontal flip).

    Args:
        src: ``(B, C, h, w)`` map of the source view.
        affine_src, affine_dst: ``(B, 4)``.
        dst_shape: ``(H, W)`` of the destination view.

    Returns:
        ``(B, C, H, W)`` resampled map (bilinear) and ``(B, 1, H, W)`` bool mask of destination pixels whose source
        position lies inside the source view.
    """
    B, _, h, w = src.shape
    H, W = dst_shape
    v, u = torch.meshgrid(torch.arange(H, device=src.device, dtype=src.dtype),
                          torch.arange(W, device=src.device, dtype=src.dtype), indexing='ij')
    ax_d, bx_d, ay_d, by_d = (affine_dst[:, i, None, None].to(src.dtype) for i in range(4))
    ax_s, bx_s, ay_s, by_s = (affine_src[:, i, None, None].to(src.dtype) for i in range(4))
    u_src = ax_s * (u[None] - bx_d) / ax_d + bx_s
    v_src = ay_s * (v[None] - by_d) / ay_d + by_s
    grid = torch.stack([(2 * u_src + 1) / w - 1, (2 * v_src + 1) / h - 1], dim=-1)
    warped = F.grid_sample(src, grid, mode='bilinear', padding_mode='border', align_corners=False)
    inside = (u_src >= 0) & (u_src <= w - 1) & (v_src >= 0) & (v_src <= h - 1)
    return warped, inside[:, None]


@MODELS.register_module()
class GeometricInvarianceLoss(nn.Module):
    """Self-distillation between two geometrically augmented views of the same image.

    Depth (the z-buffer) does not change when the image is resized, cropped or flipped, so the log-depth of one view
    warped into the other (:func:`warp_between_views`) must equal the other's. Each view is the student of the other
    view's stop-gradient prediction: ``0.5 (mean|a - sg(W b)| + mean|b - sg(W a)|)`` over the overlapping pixels.

    Args:
        loss_weight: multiplier (0.1 in the paper).
    """

    def __init__(self, loss_weight: float = 0.1) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, log_depth_a: torch.Tensor, log_depth_b: torch.Tensor, affine_a: torch.Tensor,
                affine_b: torch.Tensor, valid_a: Optional[torch.Tensor] = None,
                valid_b: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Log-depths ``(B, 1, H, W)`` of views a and b, their ``(B, 4)`` affines; optional ``(B, 1, H, W)`` masks
        of pixels to use (e.g. not padded)."""
        terms = []
        for student, teacher, aff_s, aff_t, valid in ((log_depth_a, log_depth_b, affine_a, affine_b, valid_a),
                                                      (log_depth_b, log_depth_a, affine_b, affine_a, valid_b)):
            target, inside = warp_between_views(teacher.detach(), aff_t, aff_s, student.shape[-2:])
            mask = inside if valid is None else inside & valid
            if mask.any():
                terms.append((student - target).abs()[mask].mean())
        if not terms:
            return log_depth_a.sum() * 0.0
        return self.loss_weight * sum(terms) / len(terms)


@MODELS.register_module()
class CameraRayLoss(nn.Module):
    """L1 between the per-pixel ray angles (azimuth, elevation; radians) of predicted and true intrinsics.

    Args:
        loss_weight: multiplier (0.25 in the paper).
        stride: rays are compared on every ``stride``-th pixel (the angle field is smooth).
    """

    def __init__(self, loss_weight: float = 0.25, stride: int = 4) -> None:
        super().__init__()
        self.loss_weight, self.stride = loss_weight, stride

    def forward(self, pred_intrinsics: torch.Tensor, gt_intrinsics: torch.Tensor,
                image_shape: Tuple[int, int]) -> torch.Tensor:
        """``(B, 3, 3)`` predicted and true K of an ``image_shape = (H, W)`` image."""
        H, W = image_shape
        s = self.stride
        grid = ((H + s - 1) // s, (W + s - 1) // s)

        def angles(K):
            K = K.float().clone()
            K[:, :2] = K[:, :2] / s  # grid index k is pixel s * k: the rays of every s-th pixel
            return rays_to_angles(generate_rays(K, grid))

        return self.loss_weight * (angles(pred_intrinsics) - angles(gt_intrinsics.to(pred_intrinsics))).abs().mean()
