"""The MASA tracker: appearance association with bi-softmax + cosine match scores and a momentum memory."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.trackers import BaseTracker
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor

from panguvision.registry import MODELS


@MODELS.register_module()
class MASATracker(BaseTracker):
    """Greedy appearance matching of detections to a memory of tracklets (MASA's tracker).

    Per frame: detections are sorted by score and near-duplicates removed (IoU > ``nms_iou_thr``); each detection's
    embedding is compared with every tracklet's memory embedding by ``(bisoftmax + cosine) / 2`` where bisoftmax is
    the mean of the row- and column-softmax of the dot products; optionally a motion gate zeroes pairs whose IoU with
    the tracklet's constant-velocity prediction is below ``motion_gate_iou`` (with ``gate_in_softmax``, the default,
    gated pairs are also left out of both softmaxes, so far-away tracklets cannot dilute a plausible match; ``False``
    multiplies the finished scores by the gate, the earlier behaviour); detections, best score first, take their
    best tracklet if the score exceeds ``match_score_thr``, and unmatched ones with score > ``init_score_thr`` start new
    tracklets. Memory: embedding ``e <- (1 - m) e + m e_new`` with ``m = memo_momentum`` (mmdet's convention, 0.8), the
    recent boxes for the motion prediction; a tracklet last seen at frame ``f`` can match up to frame
    ``f + memo_tracklet_frames`` and is forgotten after.

    Boxes are xyxy pixels in the frame of ``data_sample.pred_instances`` (the original image, mmdet's convention);
    ``track`` multiplies them by ``scale_factor`` to pool embeddings from the network-input features.
    """

    def __init__(self,
                 init_score_thr: float = 0.1,
                 obj_score_thr: float = 0.0,
                 match_score_thr: float = 0.5,
                 memo_tracklet_frames: int = 10,
                 memo_momentum: float = 0.8,
                 nms_iou_thr: float = 0.7,
                 with_cats: bool = False,
                 motion_gate_iou: Optional[float] = None,
                 gate_in_softmax: bool = True,
                 **kwargs):
        if not 0 <= memo_momentum <= 1:
            raise ValueError(f'memo_momentum must be in [0, 1], got {memo_momentum}')
        if memo_tracklet_frames < 1:
            raise ValueError(f'memo_tracklet_frames must be >= 1, got {memo_tracklet_frames}')
        super().__init__(momentums=dict(embeds=memo_momentum), num_frames_retain=memo_tracklet_frames, **kwargs)
        self.init_score_thr = init_score_thr
        self.obj_score_thr = obj_score_thr
        self.match_score_thr = match_score_thr
        self.memo_tracklet_frames = memo_tracklet_frames
        self.memo_momentum = memo_momentum
        self.nms_iou_thr = nms_iou_thr
        self.with_cats = with_cats
        self.motion_gate_iou = motion_gate_iou
        self.gate_in_softmax = gate_in_softmax

    @staticmethod
    def match_scores(embeds: Tensor, memo_embeds: Tensor, valid: Optional[Tensor] = None) -> Tensor:
        """``(N, D), (M, D) -> (N, M)`` in [0, 1]: mean of the bi-softmax and the cosine similarity.

        ``valid`` (``(N, M)`` bool, optional): the pairs allowed to match (the motion gate). Pairs outside it score 0
        and take no part in either softmax, so tracks that cannot match a detection do not dilute the bi-softmax of
        the ones that can (without it, every extra tracklet in memory lowers every score by about ``1 / M``).
        """
        dots = embeds @ memo_embeds.t()
        if valid is not None:
            dots = dots.masked_fill(~valid, float('-inf'))
            d2t = torch.nan_to_num(dots.softmax(dim=1), nan=0.0)  # a row/column with no valid pair: all 0
            t2d = torch.nan_to_num(dots.softmax(dim=0), nan=0.0)
        else:
            d2t, t2d = dots.softmax(dim=1), dots.softmax(dim=0)
        cosine = F.normalize(embeds, dim=1) @ F.normalize(memo_embeds, dim=1).t()
        scores = ((d2t + t2d) / 2 + cosine) / 2
        return scores if valid is None else scores * valid.to(scores)

    def predicted_boxes(self, frame_id: int) -> Tensor:
        """Each tracklet's last box moved by its last per-frame velocity to ``frame_id``: ``(M, 4)`` xyxy."""
        preds = []
        for track in self.tracks.values():
            boxes, frames = track['bboxes'], track['frame_ids']
            box = boxes[-1][0]
            if len(boxes) > 1:
                gap = max(int(frames[-1]) - int(frames[-2]), 1)
                box = box + (box - boxes[-2][0]) / gap * (frame_id - int(frames[-1]))
            preds.append(box)
        return torch.stack(preds)

    def associate(self, bboxes: Tensor, scores: Tensor, labels: Tensor, embeds: Tensor,
                  frame_id: int) -> Tuple[Tensor, Tensor]:
        """Assign ids to one frame's detections and update the memory.

        Args:
            bboxes: ``(N, 4)`` xyxy pixels. scores: ``(N,)``. labels: ``(N,)`` int. embeds: ``(N, D)``.
            frame_id: 0-based frame index (gaps allowed).

        Returns:
            ``(keep, ids)``: indices into the inputs of the detections kept (sorted by score, duplicates removed) and
            their ids ``(K,)`` (``-1`` = not tracked: unmatched below ``init_score_thr``).
        """
        # tracklets unseen for more than memo_tracklet_frames cannot match (also when frames were skipped)
        stale = [k for k, v in self.tracks.items() if frame_id - int(v['frame_ids'][-1]) > self.num_frames_retain]
        for track_id in stale:
            self.tracks.pop(track_id)
        order = scores.argsort(descending=True)
        if len(order) > 1 and self.nms_iou_thr < 1:
            ious = bbox_overlaps(bboxes[order], bboxes[order])
            valid = torch.ones(len(order), dtype=torch.bool)
            for i in range(1, len(order)):
                valid[i] = not bool((ious[i, :i][valid[:i]] > self.nms_iou_thr).any())
            order = order[valid]
        bboxes, scores, labels, embeds = bboxes[order], scores[order], labels[order], embeds[order]
        ids = torch.full((len(order), ), -1, dtype=torch.long)
        if len(order) and not self.empty:
            memo_ids = torch.tensor(self.ids, dtype=torch.long)
            memo_embeds = self.get('embeds').to(embeds)
            valid = None
            if self.motion_gate_iou is not None:
                valid = bbox_overlaps(bboxes, self.predicted_boxes(frame_id).to(bboxes)) >= self.motion_gate_iou
                if not self.gate_in_softmax:
                    valid, gate = None, valid
            match = self.match_scores(embeds, memo_embeds, valid)
            if self.motion_gate_iou is not None and not self.gate_in_softmax:
                match = match * gate.to(match)
            if self.with_cats:
                match = match * (labels.view(-1, 1) == self.get('labels').to(labels).view(1, -1)).to(match)
            for i in range(len(order)):
                conf, j = match[i].max(dim=0)
                if conf > self.match_score_thr and scores[i] > self.obj_score_thr:
                    ids[i] = memo_ids[j]
                    match[:, j] = 0
        new = (ids == -1) & (scores.cpu() > self.init_score_thr)
        ids[new] = torch.arange(self.num_tracks, self.num_tracks + int(new.sum()), dtype=torch.long)
        self.num_tracks += int(new.sum())
        tracked = ids > -1
        self.update(ids=ids[tracked], bboxes=bboxes[tracked].detach().cpu(), embeds=embeds[tracked].detach(),
                    labels=labels[tracked].cpu(), scores=scores[tracked].detach().cpu(), frame_ids=frame_id)
        return order, ids

    def track(self, model: torch.nn.Module, img: Tensor, feats, data_sample, rescale: bool = True,
              **kwargs) -> InstanceData:
        """Track one frame: embeddings of ``data_sample.pred_instances`` from ``model.track_head`` and ``feats``.

        Args:
            model: a model with ``track_head.predict(feats, [bboxes]) -> (N, D)``.
            img: ``(1, 3, H, W)`` network input (unused; mmdet's interface).
            feats: the multi-level features of ``img``.
            data_sample: ``DetDataSample`` with ``pred_instances`` (bboxes in original pixels, scores, labels) and
                ``frame_id`` / ``scale_factor`` metainfo.
            rescale: the boxes are in original pixels and must be scaled to the network input for pooling.

        Returns:
            ``InstanceData`` with bboxes (original pixels), scores, labels and ``instances_id`` of the tracked boxes.
        """
        det = data_sample.pred_instances
        frame_id = data_sample.metainfo.get('frame_id', -1)
        if frame_id == 0:
            self.reset()
        boxes = det.bboxes
        if rescale and len(boxes):
            boxes = boxes * boxes.new_tensor(data_sample.metainfo['scale_factor']).repeat(2)
        embeds = model.track_head.predict(feats, [boxes]) if len(boxes) else boxes.new_zeros((0, 1))
        keep, ids = self.associate(det.bboxes, det.scores, det.labels, embeds, frame_id)
        tracked = (ids > -1).to(keep.device)
        out = InstanceData()
        out.bboxes = det.bboxes[keep][tracked]
        out.scores = det.scores[keep][tracked]
        out.labels = det.labels[keep][tracked]
        out.instances_id = ids.to(keep.device)[tracked]
        return out

    def reset(self) -> None:
        super().reset()
        if hasattr(self, 'memo_items'):
            del self.memo_items
