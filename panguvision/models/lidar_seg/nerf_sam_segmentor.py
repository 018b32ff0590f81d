"""Semi-supervised LiDAR segmentation: mmdet3d's MinkUNet plus a NeRF head supervised by SAM-fused pseudo-labels.

Training batch = labelled and unlabelled scans (``metainfo['is_labelled']``; missing means labelled):

* labelled scans: backbone + ``decode_head`` with mmdet3d's voxel-wise loss (CE, optional Lovasz) as in ``MinkUNet``;
* scans with a camera image (unlabelled ones, and labelled ones too if ``nerf_on_labelled``): the NeRF head renders a
  grid of camera rays (one per ``ray_stride`` x ``ray_stride`` pixels) through the backbone's voxel features; the
  rendered class probabilities are fused with the image's class-agnostic masks (SAM, or a stand-in mask generator)
  into pixel pseudo-labels (``pseudo_label.fuse_masks_with_semantics``), which supervise the rendered semantics; the
  rendered depth is supervised by the LiDAR points projected into the same grid.

With ``point_pseudo_label`` set, the masks also label the unlabelled scan's own points: every mask collects the votes
of the pixels that see it (the scan's voxels projected into the image with the LiDAR branch's detached class
probabilities, and / or the rendered rays), a mask whose vote is confident is painted at full resolution, and each
voxel whose representative point projects into a painted pixel is supervised with that class (CE on the LiDAR
classifier). The same painted labels then supervise the rendered semantics. Camera and LiDAR share the calibration of
the info file, so the projection is exact up to the parallax of the two sensors.

With ``share_classifier=True`` the rendered semantics use the LiDAR classifier (``decode_head.cls_seg``) on the
interpolated features, so the rendering shows what the LiDAR branch predicts and the mask-cleaned pseudo-labels train
that branch directly. ``predict`` is ``MinkUNet.predict``: LiDAR only, the NeRF head is not used at inference.

With ``teacher`` set, the point votes inside the masks come from a mean teacher (``teacher.MeanTeacher``: an
exponential moving average of the backbone and LiDAR classifier, copied from the student when the pseudo-label branch
switches on, run in eval mode, no gradients) instead of the student itself, as in LaserMix and most semi-supervised
LiDAR segmentation; the rendered votes (``vote='rendered'`` / ``'both'``) still come from the student's NeRF head.
``predict`` uses the student.

With ``mask_consistency`` set, the masks are also used class-agnostically: every voxel of an unlabelled scan that
projects into a mask is pulled (KL) towards the detached mean class distribution of the student's predictions for all
voxels in that mask (``mask_consistency.mask_consistency_loss``), a loss that never names a class, so it cannot carry
a wrong mask-level class to the whole object the way a hard pseudo-label does. It works with or without
``point_pseudo_label``.
"""
from typing import Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmdet3d.models.segmentors import MinkUNet
from mmdet3d.structures import Det3DDataSample, PointData
from torch import Tensor

from panguvision.registry import MODELS, TASK_UTILS
from .mask_consistency import group_mean_distribution, mask_consistency_loss, mask_index_map
from .pseudo_label import (class_balanced_thresholds, fuse_masks_with_semantics, split_groups_by_depth, vote_groups,
                           vote_masks_sparse)
from .rays import project_points, visible_in_camera
from .teacher import MeanTeacher

__all__ = ['NeRFSAMMinkUNet']


def _as_tensor(value, ref: Tensor, shape_tail) -> Tensor:
    t = torch.as_tensor(np.asarray(value), dtype=ref.dtype, device=ref.device)
    if tuple(t.shape[-2:]) != tuple(shape_tail):
        if t.shape[-2:] == (4, 4) and shape_tail == (3, 3):
            t = t[..., :3, :3]
        else:
            raise ValueError(f'expected a matrix of shape {shape_tail}, got {tuple(t.shape)}')
    return t


@MODELS.register_module()
class NeRFSAMMinkUNet(MinkUNet):
    """``mmdet3d.MinkUNet`` with the NeRF + SAM pseudo-label branch on unlabelled scans.

    Args:
        nerf_head (dict, optional): a :class:`~.nerf_head.NeRFSemanticHead` config; None = supervised only.
        mask_generator (dict, optional): a ``TASK_UTILS`` mask generator config (``SamMaskGenerator`` /
            ``SuperpixelMaskGenerator``); built on first use; its masks are cached per image path.
        pseudo_label (dict): ``mode`` ('confidence' | 'majority'), ``threshold``, ``min_opacity`` (rays rendering less
            opacity neither vote nor get supervised), ``max_depth_error`` (metres, optional: rays whose rendered depth
            is further than this from the LiDAR depth of their cell are not supervised).
        ray_stride (int): one ray per ``ray_stride`` x ``ray_stride`` pixel cell.
        share_classifier (bool): render with the LiDAR classifier (see module docstring).
        nerf_on_labelled (bool): also apply the NeRF losses to labelled scans.
        nerf_start_iter (int): number of ``loss`` calls before the NeRF branch switches on (a warm-up on labels);
            the calls are counted in the ``num_loss_calls`` buffer (saved in checkpoints).
        point_pseudo_label (dict, optional): pseudo-labels on the unlabelled scans' points (see module docstring):
            ``loss_weight`` (CE weight), ``vote`` ('points' | 'rendered' | 'both': who votes inside a mask), ``mode``
            and ``threshold`` of the vote (see ``vote_masks_sparse``), ``min_voters`` (a mask with fewer voters gives
            no label). None = the rendered semantics alone are supervised (``pseudo_label``). Works without a NeRF
            head too (vote 'points'). ``class_balance=dict(keep_ratio=p, momentum=0.9)`` (optional): class-balanced
            thresholds (CBST): class ``c``'s vote threshold is ``min(threshold, t_c)``, ``t_c`` a running average
            (``momentum``, over the unlabelled scans) of the confidence that the top ``p`` of the voters predicted as
            ``c`` reach (``pseudo_label.class_balanced_thresholds``); kept in the ``class_thresholds`` buffer.
            ``distribution_alignment=dict(momentum=0.99)`` (optional; ReMixMatch's distribution alignment): before the
            vote, the voters' probabilities are multiplied by ``prior / mean`` and renormalised, ``prior`` the running
            class distribution of the labelled scans' voxels seen by the camera and ``mean`` the running mean of the
            (raw) voter probabilities on the unlabelled scans (EMAs with ``momentum``, buffers ``da_labelled_prior``
            and ``da_unlabelled_mean``), so that a class the model over-predicts on unlabelled scans cannot take over
            the pseudo-labels. ``veto_confidence=t`` (optional): a voxel whose own (raw, or the teacher's) class
            probability exceeds ``t`` for another class than its mask's label gets no pseudo-label (a mask that
            swallowed a thin object, e.g. a pole in front of a building, cannot relabel the object's voxels).
            ``depth_split_gap=g`` (optional, metres, ``vote='points'`` only): the voxels seen in a mask are split
            where their camera depths, sorted, jump by more than ``g`` (free space between two surfaces), and each
            run votes and is labelled on its own (``pseudo_label.split_groups_by_depth``); the pixel labels that
            supervise the rendered semantics stay mask-wise. ``visibility=dict(window=5, tolerance=1.0)``
            (optional): voxels hidden from the camera (another projected voxel within ``window`` pixels is more than
            ``tolerance`` metres nearer; ``rays.visible_in_camera``) neither vote nor get a label: the LiDAR sees
            past an object's edge where the camera, 27 cm further forward in KITTI, does not.
        loss_ramp_iters (int): the unlabelled-scan losses (NeRF and point pseudo-labels) rise linearly from 0 to
            their full weight over this many ``loss`` calls after ``nerf_start_iter``; 0 = full weight at once.
        teacher (dict, optional): ``MeanTeacher`` arguments, e.g. ``dict(momentum=0.99)`` (the weight of the old
            teacher in the average; Mean Teacher's warm-up ``min(m, 1 - 1 / (t + 1))``): the point votes of
            ``point_pseudo_label`` come from this EMA teacher; None = from the student.
        mask_consistency (dict, optional): the class-agnostic mask loss (see module docstring): ``loss_weight``
            (default 1.0), ``min_voxels`` (masks seeing fewer voxels get no loss, default 3), ``temperature`` (of the
            mask-mean target, default 1.0 = the plain mean). None = off.
        loss_lovasz (dict, optional): an extra voxel loss on labelled scans, e.g. ``dict(type='mmdet3d.LovaszLoss',
            loss_type='multi_class', reduction='none')``.
        max_cached_masks (int): image masks are cached per image path (the generator is the slow part); at most this
            many images, the oldest forgotten first; 0 = no cache.
        kwargs: ``mmdet3d.MinkUNet`` arguments.
    """

    def __init__(self, nerf_head: Optional[dict] = None, mask_generator: Optional[dict] = None,
                 pseudo_label: dict = dict(mode='confidence', threshold=0.5, min_opacity=0.5), ray_stride: int = 4,
                 share_classifier: bool = True, nerf_on_labelled: bool = False, nerf_start_iter: int = 0,
                 loss_lovasz: Optional[dict] = None, max_cached_masks: int = 2000,
                 point_pseudo_label: Optional[dict] = None, loss_ramp_iters: int = 0, teacher: Optional[dict] = None,
                 mask_consistency: Optional[dict] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.loss_lovasz = MODELS.build(loss_lovasz) if loss_lovasz is not None else None
        self.nerf_head = MODELS.build(nerf_head) if nerf_head is not None else None
        self.mask_generator_cfg = mask_generator
        self._mask_generator = None
        self._mask_cache: Dict[str, List[np.ndarray]] = {}
        self.max_cached_masks = max_cached_masks
        self.pseudo_label_cfg = dict(mode='confidence', threshold=0.5, min_opacity=0.5)
        self.pseudo_label_cfg.update(pseudo_label)
        self.ray_stride = ray_stride
        self.share_classifier = share_classifier
        self.nerf_on_labelled = nerf_on_labelled
        self.nerf_start_iter = nerf_start_iter
        # ``loss`` calls so far (a buffer, so that a resumed run switches the branch on / ramps it at the same step)
        self.register_buffer('num_loss_calls', torch.zeros((), dtype=torch.long))
        self.loss_ramp_iters = loss_ramp_iters
        self.point_pseudo_label_cfg = None
        if point_pseudo_label is not None:
            self.point_pseudo_label_cfg = dict(loss_weight=1.0, vote='points', mode='confidence', threshold=0.7,
                                               min_voters=3)
            self.point_pseudo_label_cfg.update(point_pseudo_label)
            if self.point_pseudo_label_cfg['vote'] not in ('points', 'rendered', 'both'):
                raise ValueError(f"point_pseudo_label.vote must be 'points', 'rendered' or 'both', got "
                                 f"{self.point_pseudo_label_cfg['vote']!r}")
            if self.point_pseudo_label_cfg['vote'] != 'points' and nerf_head is None:
                raise ValueError("point_pseudo_label.vote='rendered' / 'both' needs a nerf_head")
            gap = self.point_pseudo_label_cfg.get('depth_split_gap')
            if gap is not None and (self.point_pseudo_label_cfg['vote'] != 'points' or not gap > 0):
                raise ValueError(f"point_pseudo_label.depth_split_gap needs vote='points' and a gap > 0 metres, got "
                                 f"vote={self.point_pseudo_label_cfg['vote']!r}, depth_split_gap={gap!r}")
            balance = self.point_pseudo_label_cfg.get('class_balance')
            if balance is not None:
                self.point_pseudo_label_cfg['class_balance'] = dict(dict(keep_ratio=0.5, momentum=0.9), **balance)
                # running per-class thresholds; NaN = no estimate yet (the global threshold applies)
                self.register_buffer('class_thresholds',
                                     torch.full((self.decode_head.num_classes,), float('nan')))
            align = self.point_pseudo_label_cfg.get('distribution_alignment')
            if align is not None:
                self.point_pseudo_label_cfg['distribution_alignment'] = dict(dict(momentum=0.99), **align)
                # running class distributions; NaN = no estimate yet (no alignment until both exist)
                for name in ('da_labelled_prior', 'da_unlabelled_mean'):
                    self.register_buffer(name, torch.full((self.decode_head.num_classes,), float('nan')))
        if teacher is not None and point_pseudo_label is None:
            raise ValueError('teacher needs point_pseudo_label (the teacher casts the point votes)')
        self.teacher = MeanTeacher(self.student_modules(), **teacher) if teacher is not None else None
        self.mask_consistency_cfg = None
        if mask_consistency is not None:
            self.mask_consistency_cfg = dict(dict(loss_weight=1.0, min_voxels=3, temperature=1.0), **mask_consistency)
        # what the last unlabelled scan's pseudo-labels were (for diagnostics scripts; never used by a loss)
        self.pseudo_debug: Optional[dict] = None

    # ----------------------------------------------------------------------------------------------------- training
    def loss(self, inputs: dict, data_samples: List[Det3DDataSample]) -> Dict[str, Tensor]:
        x = self.extract_feat(inputs)
        coors = inputs['voxels']['coors'].long()
        batch_first = getattr(self.data_preprocessor, 'batch_first', True)
        coords = coors if batch_first else coors[:, [3, 0, 1, 2]]
        labelled = [bool(ds.metainfo.get('is_labelled', True)) for ds in data_samples]
        losses = {}
        lab_ids = [i for i, flag in enumerate(labelled) if flag]
        if lab_ids:
            sel = torch.isin(coords[:, 0], torch.tensor(lab_ids, device=coords.device))
            lab_samples = [data_samples[i] for i in lab_ids]
            losses.update(self.decode_head.loss(x[sel], lab_samples, self.train_cfg))
            if self.loss_lovasz is not None:
                logits = self.decode_head.forward(x[sel])
                target = torch.cat([ds.gt_pts_seg.voxel_semantic_mask for ds in lab_samples])
                losses['loss_lovasz'] = self.loss_lovasz(logits, target, ignore_index=self.decode_head.ignore_index)
        else:
            losses['loss_sem_seg'] = x.sum() * 0  # the key of mmdet3d's Base3DDecodeHead
        self.num_loss_calls += 1
        calls = int(self.num_loss_calls)
        if lab_ids and 'imgs' in inputs and self.point_pseudo_label_cfg is not None \
                and self.point_pseudo_label_cfg.get('distribution_alignment') is not None:
            self.update_labelled_prior(inputs, coords, data_samples, lab_ids)
        active = (self.nerf_head is not None or self.point_pseudo_label_cfg is not None
                  or self.mask_consistency_cfg is not None)
        if active and 'imgs' in inputs and calls > self.nerf_start_iter:
            nerf_ids = [i for i, flag in enumerate(labelled) if self.nerf_on_labelled or not flag]
            if nerf_ids:
                ramp = 1.0
                if self.loss_ramp_iters > 0:  # linear warm-up of the unlabelled-scan losses after the start
                    ramp = min(1.0, (calls - self.nerf_start_iter) / self.loss_ramp_iters)
                point_probs = self.teacher_point_probs(inputs, coords, nerf_ids) if self.teacher is not None else None
                losses.update({k: v * ramp for k, v in self.nerf_loss(x, coords, inputs, data_samples, nerf_ids,
                                                                      point_probs).items()})
        return losses

    def student_modules(self) -> torch.nn.ModuleDict:
        """The student's modules that the teacher copies: ``backbone``, ``decode_head`` (and ``neck`` if any)."""
        mods = dict(backbone=self.backbone, decode_head=self.decode_head)
        if self.with_neck:
            mods['neck'] = self.neck
        return torch.nn.ModuleDict(mods)

    @torch.no_grad()
    def teacher_point_probs(self, inputs: dict, coords: Tensor, ids: List[int]) -> Tensor:
        """Update the mean teacher from the student's current weights, then return its class probabilities ``(N, C)``
        for the batch's ``N`` voxels: filled for the voxels of scans ``ids``, 0 elsewhere."""
        self.teacher.update_parameters(self.student_modules())
        t = self.teacher.module
        sel = torch.isin(coords[:, 0], torch.tensor(ids, device=coords.device))
        feats = t['backbone'](inputs['voxels']['voxels'][sel], inputs['voxels']['coors'][sel])
        if 'neck' in t:
            feats = t['neck'](feats)
        probs = t['decode_head'].cls_seg(feats).softmax(1)
        out = probs.new_zeros(len(coords), probs.shape[1])
        out[sel] = probs
        return out

    def image_masks(self, image: Tensor, key: str = '') -> List[np.ndarray]:
        """The mask generator's boolean ``(H, W)`` masks of a ``(3, H, W)`` RGB image (0-255), cached under ``key``
        (the image path; '' = not cached). The generator is built from ``mask_generator`` on first use."""
        if key and key in self._mask_cache:
            return self._mask_cache[key]
        if self._mask_generator is None:
            if self.mask_generator_cfg is None:
                raise ValueError('NeRFSAMMinkUNet: nerf_head is set but mask_generator is None')
            self._mask_generator = TASK_UTILS.build(self.mask_generator_cfg)
        rgb = image.detach().permute(1, 2, 0).clamp(0, 255).to(torch.uint8).cpu().numpy()
        masks = [m['segmentation'] for m in self._mask_generator(np.ascontiguousarray(rgb))]
        if key and self.max_cached_masks > 0:
            if len(self._mask_cache) >= self.max_cached_masks:  # forget the oldest image
                self._mask_cache.pop(next(iter(self._mask_cache)))
            self._mask_cache[key] = masks
        return masks

    def ray_grid(self, h: int, w: int, device) -> Tensor:
        """Pixel centres ``(gh * gw, 2)`` (u, v) of the ray grid, row-major over ``(gh, gw)`` cells."""
        s = self.ray_stride
        # integer pixel centres (the mask pixel read for a ray is the pixel the ray goes through)
        v = torch.arange(h // s, device=device, dtype=torch.float32) * s + s // 2
        u = torch.arange(w // s, device=device, dtype=torch.float32) * s + s // 2
        vv, uu = torch.meshgrid(v, u, indexing='ij')
        return torch.stack([uu.flatten(), vv.flatten()], 1)

    def lidar_depth_grid(self, points: Tensor, intrinsics: Tensor, cam_from_lidar: Tensor, h: int, w: int) -> Tensor:
        """Nearest LiDAR depth (along the optical axis, metres) per ray-grid cell ``(gh * gw,)``; 0 = no point."""
        s = self.ray_stride
        gh, gw = h // s, w // s
        uv, z = project_points(points[:, :3], intrinsics, cam_from_lidar)
        # pixel centres are integers: cell c covers pixels [c * s, (c + 1) * s), i.e. [c * s - 0.5, (c + 1) * s - 0.5)
        col, row = torch.floor((uv[:, 0] + 0.5) / s).long(), torch.floor((uv[:, 1] + 0.5) / s).long()
        ok = (z > self.nerf_head.near) & (z < self.nerf_head.far) & (col >= 0) & (col < gw) & (row >= 0) & (row < gh)
        cell = row[ok] * gw + col[ok]
        depth = torch.full((gh * gw,), float('inf'), device=points.device)
        depth = depth.scatter_reduce(0, cell, z[ok], reduce='amin')
        return torch.where(torch.isinf(depth), torch.zeros_like(depth), depth)

    def project_voxels(self, inputs: dict, coords: Tensor, b: int, intrinsics: Tensor, cam_from_lidar: Tensor,
                       h: int, w: int) -> Dict[str, Tensor]:
        """Voxels of scan ``b`` seen by the camera: ``rows`` (their indices in the batch), ``rc`` ``(n, 2)`` the
        (row, column) pixel of each voxel's representative point (the point the voxelisation kept), ``depth`` ``(n,)``
        that point's depth along the optical axis (metres)."""
        rows = (coords[:, 0] == b).nonzero().squeeze(1)
        pts = inputs['voxels']['voxels'][rows, :3]
        uv, z = project_points(pts, intrinsics, cam_from_lidar)
        col, row = torch.round(uv[:, 0]).long(), torch.round(uv[:, 1]).long()
        near = self.nerf_head.near if self.nerf_head is not None else 0.5
        ok = (z > near) & (col >= 0) & (col < w) & (row >= 0) & (row < h)
        return dict(rows=rows[ok], rc=torch.stack([row[ok], col[ok]], 1), depth=z[ok])

    def render_camera(self, feats: Tensor, coords: Tensor, inputs: dict, data_samples: List[Det3DDataSample],
                      ids: List[int], point_probs: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Render the ray grid of scans ``ids`` and build its pseudo-labels and LiDAR depth targets (and, with
        ``point_pseudo_label``, the pseudo-labels of the scans' voxels).

        ``point_probs`` ``(N, C)``: the class probabilities the voxels vote with inside the masks (the teacher's);
        None = the student's (``decode_head.cls_seg`` on ``feats``).

        Returns:
            dict: ``rendered`` (the NeRF head's output for ``len(ids) * gh * gw`` rays, scan-major, row-major; None
            without a NeRF head), ``pseudo_labels`` and ``lidar_depth`` ``(len(ids) * gh * gw,)``, ``grid`` ``(gh,
            gw)``, ``uv`` ``(gh * gw, 2)`` the rays' pixel coordinates, ``voxel_rows`` / ``voxel_labels`` (the
            pseudo-labelled voxels, rows of ``feats``, and their classes; empty without ``point_pseudo_label``),
            ``mask_rows`` / ``mask_groups`` (the voxels seen in a mask and the mask's id, unique over the batch; empty
            without ``mask_consistency``).
        """
        imgs = inputs['imgs']
        h, w = imgs.shape[-2:]
        s = self.ray_stride
        gh, gw = h // s, w // s
        grid = self.ray_grid(h, w, feats.device)
        ks = torch.stack([_as_tensor(ds.metainfo['cam2img'], feats, (3, 3)) for ds in data_samples])
        ts = torch.stack([_as_tensor(ds.metainfo['lidar2cam'], feats, (4, 4)) for ds in data_samples])
        rendered = None
        if self.nerf_head is not None:
            voxel_size = feats.new_tensor(self.data_preprocessor.voxel_layer.voxel_size)
            origins = torch.stack([feats.new_tensor(np.asarray(ds.metainfo['voxel_origin'])) for ds in data_samples])
            uv = grid.repeat(len(ids), 1)
            ray_batch = torch.tensor(ids, device=feats.device).repeat_interleave(len(grid))
            semantic_fn = self.decode_head.cls_seg if self.share_classifier else None
            rendered = self.nerf_head(feats, coords, voxel_size, origins, uv, ray_batch, ks, ts,
                                      semantic_fn=semantic_fn)
        cfg = self.pseudo_label_cfg
        pcfg = self.point_pseudo_label_cfg
        ignore = self.nerf_head.ignore_index if self.nerf_head is not None else 255
        labels, depths, voxel_rows, voxel_labels, mask_rows, mask_groups = [], [], [], [], [], []
        num_groups = 0
        rows = grid[:gw * gh:gw, 1].long()
        cols = grid[:gw, 0].long()
        with torch.no_grad():
            if rendered is not None:
                probs = rendered['sem_logits'].softmax(1).view(len(ids), gh, gw, -1).permute(0, 3, 1, 2)
                valid = (rendered['opacity'] >= cfg['min_opacity']).view(len(ids), gh, gw)
            for j, b in enumerate(ids):
                masks = self.image_masks(imgs[b], str(data_samples[b].metainfo.get('img_path', '')))
                if not masks:
                    masks = [np.zeros((h, w), bool)]
                painted = None
                if pcfg is not None or self.mask_consistency_cfg is not None:
                    proj = self.project_voxels(inputs, coords, b, ks[b], ts[b], h, w)
                    num_in_view = len(proj['rows'])
                    vis = (pcfg or {}).get('visibility')
                    if vis is not None:  # voxels hidden from the camera neither vote nor get a mask's label
                        seen = visible_in_camera(proj['rc'], proj['depth'], h, w, **vis)
                        proj = {k: v[seen] for k, v in proj.items()}
                voxel_mask = None  # (n,) the mask each projected voxel is seen in (mask consistency, depth split)
                if self.mask_consistency_cfg is not None or (pcfg or {}).get('depth_split_gap') is not None:
                    voxel_mask = mask_index_map(masks, device=feats.device)[proj['rc'][:, 0], proj['rc'][:, 1]]
                mask_dbg = None
                if self.mask_consistency_cfg is not None:
                    g = voxel_mask
                    mask_rows.append(proj['rows'][g >= 0])
                    mask_groups.append(g[g >= 0] + num_groups)
                    num_groups += len(masks)
                    mask_dbg = dict(mask_rows_in_scan=proj['rows'][g >= 0] - int((coords[:, 0] < b).sum()))
                if pcfg is not None:
                    rc, pr = [], []
                    own = None  # (n, C) the projected voxels' own class probabilities, when voting or vetoing
                    if pcfg['vote'] in ('points', 'both') or pcfg.get('veto_confidence') is not None:
                        own = (self.decode_head.cls_seg(feats[proj['rows']]).softmax(1) if point_probs is None
                               else point_probs[proj['rows']])
                    if pcfg['vote'] in ('points', 'both'):
                        rc.append(proj['rc'])
                        pr.append(own)
                    if pcfg['vote'] in ('rendered', 'both'):
                        ok = valid[j].flatten()
                        rc.append(torch.stack([rows[:, None].expand(gh, gw).flatten(),
                                               cols[None].expand(gh, gw).flatten()], 1)[ok])
                        pr.append(probs[j].flatten(1).T[ok])
                    voter_probs = self.align_distribution(torch.cat(pr))
                    thr = self.vote_thresholds(voter_probs)
                    painted = vote_masks_sparse(masks, torch.cat(rc), voter_probs, mode=pcfg['mode'], threshold=thr,
                                                min_voters=pcfg['min_voters'], ignore_index=ignore)['labels']
                    if pcfg.get('depth_split_gap') is not None:  # each depth run of a mask votes on its own
                        g = split_groups_by_depth(voxel_mask, proj['depth'], pcfg['depth_split_gap'])
                        vl = vote_groups(g, voter_probs, mode=pcfg['mode'], threshold=thr,
                                         min_voters=pcfg['min_voters'], ignore_index=ignore)
                    else:
                        vl = painted[proj['rc'][:, 0], proj['rc'][:, 1]]
                    keep = vl != ignore
                    if pcfg.get('veto_confidence') is not None:  # a confident own prediction overrules the mask
                        conf, pred = own.detach().max(1)
                        keep &= ~((conf > pcfg['veto_confidence']) & (pred != vl))
                    voxel_rows.append(proj['rows'][keep])
                    voxel_labels.append(vl[keep])
                    self.pseudo_debug = self._scan_debug(data_samples[b])
                    self.pseudo_debug.update(
                        pixel_labels=painted, voxel_rows_in_scan=proj['rows'][keep] - int((coords[:, 0] < b).sum()),
                        voxel_labels=vl[keep], num_voxels_in_view=num_in_view,
                        num_voxels=int((coords[:, 0] == b).sum()))
                    if own is not None:  # the voters' own classes (before alignment), to see what a label changes
                        self.pseudo_debug.update(voxel_own_pred=own.detach().argmax(1)[keep])
                if mask_dbg is not None:
                    if pcfg is None:
                        self.pseudo_debug = self._scan_debug(data_samples[b])
                    self.pseudo_debug.update(mask_dbg)
                if rendered is None:
                    continue
                if painted is not None:
                    fused_labels = painted[rows][:, cols]
                else:
                    grid_masks = [np.asarray(m)[rows.cpu().numpy()][:, cols.cpu().numpy()] for m in masks]
                    fused_labels = fuse_masks_with_semantics(grid_masks, probs[j], valid[j], mode=cfg['mode'],
                                                             threshold=cfg['threshold'], ignore_index=ignore)['labels']
                # Only rays that render a surface are supervised: a transparent ray's logits come from whatever thin
                # voxels it grazes, so the mask's label would train the wrong voxels.
                label = torch.where(valid[j], fused_labels, torch.full_like(fused_labels, ignore)).flatten()
                depth = self.lidar_depth_grid(inputs['points'][b], ks[b], ts[b], h, w)
                if cfg.get('max_depth_error') is not None:  # where LiDAR saw the cell, the rendering must agree
                    rd = rendered['depth'][j * gh * gw:(j + 1) * gh * gw]
                    bad = (depth > 0) & ((rd - depth).abs() > cfg['max_depth_error'])
                    label = torch.where(bad, torch.full_like(label, ignore), label)
                labels.append(label)
                depths.append(depth)
                if pcfg is None and mask_dbg is None:
                    self.pseudo_debug = dict(img_path=str(data_samples[b].metainfo.get('img_path', '')))
                self.pseudo_debug.update(ray_labels=label.view(gh, gw), ray_rc=(rows, cols))
        empty = torch.zeros(0, dtype=torch.long, device=feats.device)
        return dict(rendered=rendered, pseudo_labels=torch.cat(labels) if labels else empty,
                    lidar_depth=torch.cat(depths) if depths else empty.float(), grid=(gh, gw), uv=grid,
                    voxel_rows=torch.cat(voxel_rows) if voxel_rows else empty,
                    voxel_labels=torch.cat(voxel_labels) if voxel_labels else empty,
                    mask_rows=torch.cat(mask_rows) if mask_rows else empty,
                    mask_groups=torch.cat(mask_groups) if mask_groups else empty)

    @staticmethod
    def _scan_debug(data_sample: Det3DDataSample) -> dict:
        """The start of ``pseudo_debug`` for one unlabelled scan: its image path and, when the sample carries them,
        its true voxel labels (kept for diagnostics only; no loss sees them)."""
        debug = dict(img_path=str(data_sample.metainfo.get('img_path', '')))
        gt = getattr(data_sample.get('gt_pts_seg', None), 'voxel_semantic_mask', None)
        if gt is not None:
            debug['voxel_gt_for_diagnostics'] = gt.detach()
        return debug

    @staticmethod
    def _ema(buf: Tensor, value: Tensor, momentum: float) -> None:
        """In place: ``buf <- momentum * buf + (1 - momentum) * value``; a NaN ``buf`` is replaced by ``value``."""
        buf.copy_(torch.where(torch.isnan(buf), value, momentum * buf + (1 - momentum) * value))

    @torch.no_grad()
    def update_labelled_prior(self, inputs: dict, coords: Tensor, data_samples: List[Det3DDataSample],
                              ids: List[int]) -> None:
        """Update ``da_labelled_prior`` ``(C,)`` with the class histogram of the voxels of labelled scans ``ids``
        that the camera sees (the voxels that would vote on an unlabelled scan)."""
        num_classes = self.decode_head.num_classes
        hist = torch.zeros(num_classes, device=coords.device)
        h, w = inputs['imgs'].shape[-2:]
        for b in ids:
            ds = data_samples[b]
            k = _as_tensor(ds.metainfo['cam2img'], inputs['voxels']['voxels'], (3, 3))
            t = _as_tensor(ds.metainfo['lidar2cam'], inputs['voxels']['voxels'], (4, 4))
            proj = self.project_voxels(inputs, coords, b, k, t, h, w)
            gt = ds.gt_pts_seg.voxel_semantic_mask.long()[proj['rows'] - int((coords[:, 0] < b).sum())]
            hist += torch.bincount(gt[gt < num_classes], minlength=num_classes)[:num_classes].float()
        if hist.sum() > 0:
            momentum = self.point_pseudo_label_cfg['distribution_alignment']['momentum']
            self._ema(self.da_labelled_prior, hist / hist.sum(), momentum)

    @torch.no_grad()
    def align_distribution(self, voter_probs: Tensor) -> Tensor:
        """With ``distribution_alignment``: update ``da_unlabelled_mean`` with the ``(n, C)`` voter probabilities and
        return them times ``prior / mean``, renormalised; without it (or before both estimates exist) unchanged."""
        align = self.point_pseudo_label_cfg.get('distribution_alignment')
        if align is None or not len(voter_probs):
            return voter_probs
        self._ema(self.da_unlabelled_mean, voter_probs.mean(0), align['momentum'])
        prior, mean = self.da_labelled_prior, self.da_unlabelled_mean
        if bool(torch.isnan(prior).any()):
            return voter_probs
        out = voter_probs * (prior / mean.clamp(min=1e-6))[None]
        return out / out.sum(1, keepdim=True).clamp(min=1e-12)

    def vote_thresholds(self, voter_probs: Tensor):
        """The mask-vote threshold: ``point_pseudo_label.threshold``, or with ``class_balance`` the ``(C,)``
        per-class thresholds ``min(threshold, t_c)`` after updating the running ``t_c`` with the ``(n, C)``
        ``voter_probs`` of this scan."""
        pcfg = self.point_pseudo_label_cfg
        balance = pcfg.get('class_balance')
        if balance is None:
            return pcfg['threshold']
        est = class_balanced_thresholds(voter_probs, balance['keep_ratio'])
        old = self.class_thresholds
        m = balance['momentum']
        new = torch.where(torch.isnan(old), est, torch.where(torch.isnan(est), old, m * old + (1 - m) * est))
        self.class_thresholds.copy_(new)
        return torch.where(torch.isnan(new), torch.full_like(new, pcfg['threshold']),
                           new.clamp(max=pcfg['threshold']))

    def nerf_loss(self, feats: Tensor, coords: Tensor, inputs: dict, data_samples: List[Det3DDataSample],
                  ids: List[int], point_probs: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses of scans ``ids``: rendered semantics vs pseudo-labels, rendered vs LiDAR depth (with a NeRF head),
        and the point pseudo-label CE (with ``point_pseudo_label``; ``point_probs`` as in ``render_camera``)."""
        out = self.render_camera(feats, coords, inputs, data_samples, ids, point_probs)
        losses = {}
        if out['rendered'] is not None:
            losses.update(self.nerf_head.loss(out['rendered'], out['pseudo_labels'], out['lidar_depth']))
        if self.point_pseudo_label_cfg is not None:
            rows = out['voxel_rows']
            if len(rows):
                ce = F.cross_entropy(self.decode_head.forward(feats[rows]), out['voxel_labels'])
            else:
                ce = feats.sum() * 0
            losses['loss_point_pseudo'] = self.point_pseudo_label_cfg['loss_weight'] * ce
        mcfg = self.mask_consistency_cfg
        if mcfg is not None:
            rows, groups = out['mask_rows'], out['mask_groups']
            logits = self.decode_head.forward(feats[rows])
            loss = mask_consistency_loss(logits, groups, min_size=mcfg['min_voxels'], temperature=mcfg['temperature'])
            losses['loss_mask_consistency'] = mcfg['loss_weight'] * loss
            if self.pseudo_debug is not None and len(ids) == 1 and len(rows):
                with torch.no_grad():  # the class each voxel is pulled towards (its mask's mean), for diagnostics
                    _, inv = torch.unique(groups, return_inverse=True)
                    mean = group_mean_distribution(logits.softmax(1), inv, int(inv.max()) + 1)
                    self.pseudo_debug['mask_target_labels'] = mean.argmax(1)[inv]
        return losses

    # ---------------------------------------------------------------------------------------------------- benchmark
    def benchmark_batch(self, batch_size: int, size: tuple, generator: torch.Generator) -> dict:
        """A random LiDAR + camera batch for ``tools/analysis_tools/benchmark.py``: ``size`` = image ``(H, W)``.

        Each scan is ~``benchmark_num_points`` (default 20000) points on a ground plane (z = -1.7 m) and vertical walls
        within 30 m, intensity uniform in [0, 1], random labels; half of the scans are unlabelled.
        """
        n = getattr(self, 'benchmark_num_points', 20000)
        h, w = size
        num_classes = self.decode_head.num_classes
        points, imgs, samples = [], [], []
        k = torch.tensor([[w / 2.0, 0, w / 2.0], [0, w / 2.0, h / 2.0], [0, 0, 1]])
        t = torch.tensor([[0., -1, 0, 0], [0, 0, -1, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
        for i in range(batch_size):
            xy = (torch.rand(n, 2, generator=generator) - 0.5) * 60
            z = torch.full((n, 1), -1.7)
            wall = torch.rand(n, generator=generator) < 0.4
            z[wall, 0] = torch.rand(int(wall.sum()), generator=generator) * 4 - 1.7
            xy[wall, 0] = torch.round(xy[wall, 0] / 10) * 10
            pts = torch.cat([xy, z, torch.rand(n, 1, generator=generator)], 1)
            points.append(pts)
            imgs.append(torch.randint(0, 256, (3, h, w), generator=generator, dtype=torch.uint8))
            ds = Det3DDataSample(metainfo=dict(cam2img=k.numpy(), lidar2cam=t.numpy(), is_labelled=i % 2 == 0,
                                               img_path=f'benchmark_{i}'))
            ds.gt_pts_seg = PointData(pts_semantic_mask=torch.randint(0, num_classes, (n,), generator=generator))
            samples.append(ds)
        return dict(inputs=dict(points=points, img=imgs), data_samples=samples)
