"""NeRF head: volume-render pixel semantics and depth from sparse voxel features, along rays from the camera.

For each ray (camera centre through a pixel, see :mod:`.rays`) the head samples depths in ``[near, far]``,
trilinearly interpolates the backbone's voxel features at the sample points (a voxel absent from the sparse set
contributes zero), and an MLP maps the interpolated feature to a density (softplus, scaled by the fraction of the 8
neighbouring voxels that exist, so empty space is empty) and semantic logits. Rendering weights (``rays.py``) give the
pixel's semantic logits ``sum_i w_i l_i``, its depth ``sum_i w_i t_i`` (depth along the optical axis, comparable to a
projected LiDAR point's) and its opacity ``sum_i w_i``.

Voxel geometry: voxel index ``i`` (per axis) has its centre at ``origin + i * voxel_size`` in LiDAR metres, the
convention of mmdet3d's MinkUNet voxelisation (``round(p / v) - min``, so ``origin = min * v``).
"""
from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panguvision.registry import MODELS
from .rays import camera_rays, stratified_depths, volume_render_weights
from .torch_sparse_conv import _CoordIndex, hash_coords, offset_key

__all__ = ['NeRFSemanticHead', 'trilinear_sparse']

_CORNERS = torch.tensor([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=torch.long)


def trilinear_sparse(points: Tensor, batch_idx: Tensor, voxel_coords: Tensor, voxel_feats: Tensor,
                     voxel_size: Tensor, origins: Tensor) -> Dict[str, Tensor]:
    """Trilinear interpolation of features stored at sparse voxel centres.

    Args:
        points (Tensor): ``(P, 3)`` query points, LiDAR metres.
        batch_idx (Tensor): ``(P,)`` sample of each point.
        voxel_coords (Tensor): ``(N, 4)`` int ``(batch, x, y, z)`` voxel indices.
        voxel_feats (Tensor): ``(N, C)``.
        voxel_size (Tensor): ``(3,)`` metres.
        origins (Tensor): ``(B, 3)`` centre of voxel index 0 of each sample, metres.
    Returns:
        dict with ``feats`` ``(P, C)`` (absent voxels count as zero) and ``occupancy`` ``(P,)``, the summed weight of
        the corners that exist (1 inside a fully occupied cell, 0 in empty space).
    """
    u = (points - origins[batch_idx]) / voxel_size.to(points)
    base = torch.floor(u)
    frac = u - base
    corners = _CORNERS.to(points.device)
    w = torch.where(corners[None].bool(), frac[:, None, :], 1 - frac[:, None, :]).prod(-1)  # (P, 8)
    index = _CoordIndex(voxel_coords)
    # Points far outside the voxel grid cannot touch a voxel: clamp them to a cell that is certainly empty.
    lo, hi = voxel_coords[:, 1:].min(0).values - 2, voxel_coords[:, 1:].max(0).values + 2
    base = torch.minimum(torch.maximum(base.long(), lo), hi)
    base_keys = hash_coords(torch.cat([batch_idx[:, None].long(), base], 1))
    rows = index.lookup_keys(base_keys[:, None] + offset_key(corners)[None])  # (P, 8)
    present = rows >= 0
    w = w * present
    # Most samples of a ray lie in empty space: gather and blend only those with an existing corner.
    near = present.any(1).nonzero().squeeze(1)
    blended = torch.einsum('pk,pkc->pc', w[near], voxel_feats[rows[near].clamp(min=0)])
    feats = voxel_feats.new_zeros(len(points), voxel_feats.shape[1]).index_copy(0, near, blended)
    return dict(feats=feats, occupancy=w.sum(1))


@MODELS.register_module()
class NeRFSemanticHead(nn.Module):
    """Renders semantics and depth of camera rays through a sparse voxel feature volume.

    Args:
        in_channels (int): backbone feature width ``C``.
        num_classes (int): semantic classes.
        hidden_channels (int): MLP width.
        num_samples (int): samples per ray.
        near, far (float): depth range along the optical axis, metres.
        density_bias (float): added before the softplus (negative: start nearly transparent).
        loss_sem_weight, loss_depth_weight (float): weights of the pseudo-label CE and the LiDAR depth L1.
        ignore_index (int): pseudo-label value without supervision.
        detach_geometry (bool): the density MLP sees detached voxel features, so the depth loss trains the head's
            geometry only and the backbone is trained through the rendered semantics alone.
    """

    def __init__(self, in_channels: int, num_classes: int, hidden_channels: int = 64, num_samples: int = 32,
                 near: float = 1.0, far: float = 40.0, density_bias: float = 0.0, loss_sem_weight: float = 1.0,
                 loss_depth_weight: float = 0.1, ignore_index: int = 255, detach_geometry: bool = False) -> None:
        super().__init__()
        self.detach_geometry = detach_geometry
        self.num_classes, self.num_samples, self.near, self.far = num_classes, num_samples, near, far
        self.loss_sem_weight, self.loss_depth_weight, self.ignore_index = loss_sem_weight, loss_depth_weight, \
            ignore_index
        self.trunk = nn.Sequential(nn.Linear(in_channels + 1, hidden_channels), nn.ReLU(inplace=True),
                                   nn.Linear(hidden_channels, hidden_channels), nn.ReLU(inplace=True))
        self.density = nn.Linear(hidden_channels, 1)
        self.semantic = nn.Linear(hidden_channels, num_classes)
        nn.init.constant_(self.density.bias, density_bias)

    def forward(self, voxel_feats: Tensor, voxel_coords: Tensor, voxel_size: Tensor, origins: Tensor, uv: Tensor,
                ray_batch: Tensor, intrinsics: Tensor, cam_from_lidar: Tensor,
                semantic_fn: Optional[Callable[[Tensor], Tensor]] = None,
                generator: Optional[torch.Generator] = None) -> Dict[str, Tensor]:
        """Render ``R`` rays.

        Args:
            voxel_feats (Tensor): ``(N, C)``; voxel_coords ``(N, 4)`` int (batch first).
            voxel_size (Tensor): ``(3,)`` metres; origins ``(B, 3)`` metres (see module docstring).
            uv (Tensor): ``(R, 2)`` pixel coordinates; ray_batch ``(R,)`` the sample of each ray.
            intrinsics (Tensor): ``(B, 3, 3)``; cam_from_lidar ``(B, 4, 4)``.
            semantic_fn (callable, optional): maps interpolated voxel features ``(P, C)`` to logits (e.g. the LiDAR
                segmentation classifier, so the rendering shows what the LiDAR branch predicts); default: the head's
                own semantic MLP.
        Returns:
            dict: ``sem_logits`` ``(R, num_classes)``, ``depth`` ``(R,)`` metres, ``opacity`` ``(R,)``,
            ``weights`` ``(R, S)``.
        """
        origins_r = []
        for b in ray_batch.unique().tolist():
            sel = ray_batch == b
            o, d = camera_rays(uv[sel], intrinsics[b], cam_from_lidar[b])
            origins_r.append((sel, o, d))
        ray_o = uv.new_zeros(len(uv), 3)
        ray_d = uv.new_zeros(len(uv), 3)
        for sel, o, d in origins_r:
            ray_o[sel], ray_d[sel] = o, d
        depths, deltas = stratified_depths(len(uv), self.near, self.far, self.num_samples, self.training, generator,
                                           device=uv.device)
        pts = ray_o[:, None, :] + depths[..., None] * ray_d[:, None, :]  # (R, S, 3)
        pts_batch = ray_batch[:, None].expand(-1, self.num_samples).reshape(-1)
        interp = trilinear_sparse(pts.reshape(-1, 3), pts_batch, voxel_coords, voxel_feats, voxel_size, origins)
        # Density is zero where no voxel is near (occupancy 0), so such samples have zero rendering weight: run the
        # MLP on the others only.
        occ = interp['occupancy']
        near = (occ > 0).nonzero().squeeze(1)
        feats = interp['feats'][near]
        h = self.trunk(torch.cat([feats.detach() if self.detach_geometry else feats, occ[near, None]], 1))
        density = occ.new_zeros(len(occ)).index_copy(0, near, F.softplus(self.density(h)).squeeze(1) * occ[near])
        if semantic_fn is not None:
            # The classifier sees the feature blended over the corners that exist (renormalised weights): a sample
            # half inside a surface gets that surface's feature, not half of it plus the classifier's bias.
            logits_near = semantic_fn(feats / occ[near, None])
        else:
            logits_near = self.semantic(h)
        logits = occ.new_zeros(len(occ), logits_near.shape[1]).index_copy(0, near, logits_near)
        weights, _ = volume_render_weights(density.view(len(uv), -1), deltas, ray_d.norm(dim=1))
        sem = (weights[..., None] * logits.view(len(uv), self.num_samples, -1)).sum(1)
        return dict(sem_logits=sem, depth=(weights * depths).sum(1), opacity=weights.sum(1), weights=weights)

    def loss(self, rendered: Dict[str, Tensor], pseudo_labels: Optional[Tensor] = None,
             depth_target: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """CE of rendered semantics vs pixel pseudo-labels ``(R,)`` (``ignore_index`` skipped) and L1 of rendered vs
        LiDAR depth ``(R,)`` (0 = no LiDAR point), both averaged over supervised rays (0 when there are none)."""
        losses = {}
        if pseudo_labels is not None:
            valid = pseudo_labels != self.ignore_index
            loss = (F.cross_entropy(rendered['sem_logits'][valid], pseudo_labels[valid]) if valid.any() else
                    rendered['sem_logits'].sum() * 0)
            losses['loss_nerf_sem'] = self.loss_sem_weight * loss
        if depth_target is not None:
            valid = depth_target > 0
            loss = ((rendered['depth'][valid] - depth_target[valid]).abs().mean() if valid.any() else
                    rendered['depth'].sum() * 0)
            losses['loss_nerf_depth'] = self.loss_depth_weight * loss
        return losses
