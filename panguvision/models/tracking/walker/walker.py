"""Walker (ECCV 2024): self-supervised multi-object tracking by random walks on temporal appearance graphs.

Built from the paper's description (no public code): trained from clips of ``T > 2`` frames carrying boxes but no
identities (``SparseClipSample`` draws them from the sparsely annotated frames), with ``WalkCycleLoss``; tracks with
``WalkerTracker`` (motion-constrained bi-directional walks). Lineage: QDTrack, whose RoI embedding head
(``mmdet.QuasiDenseTrackHead``: RoI extractor + ``QuasiDenseEmbedHead``) is reused here; QDTrack's own loss takes
exactly 2 frames and identity labels, so the T-frame walk loss is ours.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.structures.bbox import get_box_tensor

from panguvision.registry import MODELS
from ..public_det_mot import PublicDetMOT

__all__ = ['Walker', 'jitter_boxes']


def jitter_boxes(boxes: torch.Tensor, num_copies: int, std: float, img_shape: Tuple[int, int],
                 generator: Optional[torch.Generator] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Quasi-dense nodes: each box (N, 4) xyxy kept once exactly plus ``num_copies - 1`` copies whose corners move by
    N(0, std * size) pixels, clipped to ``img_shape`` (h, w). Returns boxes (N * num_copies, 4) and group (box index)
    (N * num_copies,)."""
    groups = torch.arange(len(boxes), device=boxes.device).repeat(num_copies)
    out = boxes.repeat(num_copies, 1)
    if num_copies > 1 and len(boxes):
        wh = (boxes[:, 2:] - boxes[:, :2]).clamp_min(1).repeat(1, 2).repeat(num_copies - 1, 1)
        noise = torch.randn(wh.shape, generator=generator, device=boxes.device) * std * wh
        out[len(boxes):] = out[len(boxes):] + noise
        h, w = img_shape
        out[:, 0::2] = out[:, 0::2].clamp(0, w - 1)
        out[:, 1::2] = out[:, 1::2].clamp(0, h - 1)
        out[:, 2:] = torch.maximum(out[:, 2:], out[:, :2] + 1)
    return out, groups


@MODELS.register_module()
class Walker(PublicDetMOT):
    """Walker MOT model: backbone (+ neck) features, RoI embeddings of the boxes, walk-based training.

    Args:
        backbone: image backbone config (e.g. ``mmdet.ResNet``); its outputs feed ``track_head``.
        track_head: ``mmdet.QuasiDenseTrackHead`` with ``roi_extractor`` and ``embed_head`` (embeddings are
            L2-normalised here).
        tracker: ``WalkerTracker`` config.
        walk_loss: ``WalkCycleLoss`` config.
        neck: optional neck (e.g. ``mmdet.FPN``).
        detector: optional detector; without one the tracked boxes are the frames' ``proposals``.
        center_embeds: centre and scale the raw embeddings with a parameter-free ``BatchNorm1d`` before the L2
            normalisation. ReLU features of a randomly initialised network share a large common component (every
            pair of boxes has cosine ~1), which makes every transition uniform and the walk gradients tiny at the
            start; centring removes it.
        train_cfg: ``num_copies`` (nodes per box, quasi-dense), ``jitter_std`` (fraction of the box size),
            ``max_boxes`` (per frame, random subset above it).
    """

    def __init__(self, backbone: dict, track_head: dict, tracker: dict, walk_loss: dict = dict(type='WalkCycleLoss'),
                 neck: Optional[dict] = None, detector: Optional[dict] = None, det_score_thr: float = 0.0,
                 center_embeds: bool = True, train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(tracker=tracker, detector=detector, det_score_thr=det_score_thr,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.track_head = MODELS.build(track_head)
        self.walk_loss = MODELS.build(walk_loss)
        dim = self.track_head.embed_head.fc_embed.out_features
        self.embed_norm = nn.BatchNorm1d(dim, affine=False) if center_embeds else nn.Identity()
        self.train_cfg = {**dict(num_copies=2, jitter_std=0.05, max_boxes=64), **(train_cfg or {})}

    def extract_feat(self, imgs: torch.Tensor) -> List[torch.Tensor]:
        """Multi-level features of ``imgs`` (B, C, H, W)."""
        feats = self.backbone(imgs)
        return list(self.neck(feats) if self.neck is not None else feats)

    def embed_rois(self, feats: List[torch.Tensor], boxes: List[torch.Tensor]) -> torch.Tensor:
        """L2-normalised embeddings (sum N_i, D) of per-image boxes (N_i, 4) (input-frame pixels)."""
        roi_feats = self.track_head.extract_roi_feats(feats, boxes)
        raw = self.track_head.embed_head(roi_feats)
        if self.training and len(raw) < 2:  # BatchNorm1d needs two rows to estimate statistics
            return F.normalize(raw, dim=1)
        return F.normalize(self.embed_norm(raw), dim=1)

    def embed(self, img: torch.Tensor, bboxes: torch.Tensor) -> torch.Tensor:
        if len(bboxes) == 0:
            return bboxes.new_zeros((0, self.track_head.embed_head.fc_embed.out_features))
        return self.embed_rois(self.extract_feat(img), [bboxes])

    def loss(self, inputs: torch.Tensor, data_samples, **kwargs) -> dict:
        """Walk losses of a batch of clips ``inputs`` (N, T, C, H, W); boxes from ``gt_instances.bboxes`` of every
        frame (identity labels are never read). Frames without boxes are skipped; a clip needs two frames with
        boxes."""
        n, t = inputs.shape[:2]
        feats = self.extract_feat(inputs.flatten(0, 1))
        boxes, groups = [], []
        cfg = self.train_cfg
        for clip in data_samples:
            for frame in clip:
                gt = get_box_tensor(frame.gt_instances.bboxes).to(inputs.device).float()
                if len(gt) > cfg['max_boxes']:
                    gt = gt[torch.randperm(len(gt), device=gt.device)[:cfg['max_boxes']]]
                b, g = jitter_boxes(gt, cfg['num_copies'], cfg['jitter_std'], frame.metainfo['img_shape'][:2])
                boxes.append(b)
                groups.append(g)
        embeds = self.embed_rois(feats, boxes).split([len(b) for b in boxes])
        losses = []
        for i in range(n):
            frames = [k for k in range(i * t, (i + 1) * t) if len(boxes[k])]
            if len(frames) >= 2:
                losses.append(self.walk_loss([embeds[k] for k in frames], [groups[k] for k in frames]))
        if not losses:  # keeps every parameter in the graph (distributed training) with a zero loss
            zero = sum(p.sum() for p in self.parameters() if p.requires_grad) * 0.0
            out = dict(loss_walk=zero, loss_exclusion=zero)
        else:
            out = {key: torch.stack([item[key] for item in losses]).mean() for key in losses[0]}
        if self.detector is not None and any(p.requires_grad for p in self.detector.parameters()):
            # the detector learns from the same sparsely annotated frames (every clip frame carries boxes)
            frames = [frame for clip in data_samples for frame in clip]
            out.update({f'det_{k}' if not k.startswith('loss') else k: v
                        for k, v in self.detector.loss(inputs.flatten(0, 1), frames).items()})
        return out
