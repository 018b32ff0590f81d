"""Walker's inference: associate detections to tracklets by the max-likelihood transition of motion-constrained
bi-directional walks."""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmdet.models.trackers import BaseTracker
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData

from panguvision.registry import MODELS
from ..matching import assign

__all__ = ['WalkerTracker']


@MODELS.register_module()
class WalkerTracker(BaseTracker):
    """Tracklets keep a momentum-averaged L2-normalised embedding, their last box and a velocity.

    Per frame, with the detections' embeddings ``D`` (n, d) and the tracklets' ``M`` (m, d):

    * motion constraint: a detection may step onto a tracklet only when its box centre lies within
      ``r = motion_gate * h * sqrt(gap)`` pixels of the tracklet's constant-velocity prediction (``h``: the tracklet
      box height, ``gap``: frames since it was last seen); other transitions get probability 0; inside the gate the
      transition logit gets a Gaussian motion prior ``-motion_weight * (d / r)^2`` (``d``: centre distance);
    * bi-directional walks: ``P_fwd = softmax_rows(M D^T / tau + prior)`` (tracklet -> detection, forward in time)
      and ``P_bwd = softmax_rows(D M^T / tau + prior)`` (detection -> tracklet, backward), over the gated
      transitions;
    * with ``null_similarity`` both softmaxes also hold an absorbing "no link" node of that cosine similarity, so
      a lone candidate in the gate is not taken with probability 1 whatever it looks like;
    * likelihood ``L = (P_fwd^T + P_bwd) / 2``; one-to-one max-likelihood assignment (Hungarian) with
      ``L >= match_score_thr`` (stage 1, confirmed tracklets only);
    * with ``iou_match_thr`` a second stage matches the tracklets left over (tentative ones, and confirmed ones the
      walk did not take) to the detections left over by the IoU of the detection with the tracklet's
      constant-velocity predicted box (Hungarian, IoU >= ``iou_match_thr``), as SORT-family trackers do after their
      appearance stage; it recovers an object whose walk probability was split during an occlusion instead of
      starting a second tracklet on it;
    * unmatched detections scoring at least ``init_score_thr`` start tracklets. With ``num_tentatives > 1`` a new
      tracklet is *tentative* until it has been matched in ``num_tentatives`` consecutive frames (the birth frame
      counts); a tentative tracklet that misses a frame is deleted, so a duplicate born on an object while its
      tracklet was unmatched (or on a false positive) dies as soon as the object's own tracklet takes the detection
      back. Tentative tracklets are reported (they already carry their final id);
    * with ``adaptive_momentum`` the embedding memory follows a detection less the lower its score
      (``momentum' = m + (1 - m) * (1 - (s - obj_score_thr) / (1 - obj_score_thr))``): low scores are mostly
      occluded objects whose crops show their occluder;
    * with ``duplicate_iou_thr``, lost tracklets predicted on top of a tracklet seen in this frame are removed.

    ``track()`` reads ``data_sample.pred_instances`` with ``bboxes`` (N, 4), ``scores``, ``labels`` and ``embeds``
    (N, d) and returns the tracked instances with ``instances_id`` (1, 2, ...).
    """

    def __init__(self, obj_score_thr: float = 0.3, init_score_thr: float = 0.5, match_score_thr: float = 0.3,
                 temperature: float = 0.1, memo_momentum: float = 0.5, motion_gate: float = 1.0,
                 motion_weight: float = 0.0, velocity_momentum: float = 0.5, matching: str = 'hungarian',
                 num_frames_retain: int = 30, null_similarity: Optional[float] = None,
                 duplicate_iou_thr: Optional[float] = None, iou_match_thr: Optional[float] = None,
                 num_tentatives: int = 1, adaptive_momentum: bool = False, **kwargs) -> None:
        super().__init__(num_frames_retain=num_frames_retain, **kwargs)
        if num_tentatives < 1 or (num_tentatives > 1 and iou_match_thr is None):
            raise ValueError('WalkerTracker: num_tentatives must be >= 1 (1: confirmed at birth), and tentative '
                             'tracklets (num_tentatives > 1) are matched by the IoU stage only, so they need '
                             f'iou_match_thr; got num_tentatives={num_tentatives}, iou_match_thr={iou_match_thr}')
        self.obj_score_thr, self.init_score_thr = float(obj_score_thr), float(init_score_thr)
        self.match_score_thr, self.temperature = float(match_score_thr), float(temperature)
        self.memo_momentum, self.motion_gate = float(memo_momentum), float(motion_gate)
        self.motion_weight = float(motion_weight)
        self.null_similarity = None if null_similarity is None else float(null_similarity)
        self.duplicate_iou_thr = None if duplicate_iou_thr is None else float(duplicate_iou_thr)
        self.iou_match_thr = None if iou_match_thr is None else float(iou_match_thr)
        self.num_tentatives, self.adaptive_momentum = int(num_tentatives), bool(adaptive_momentum)
        self.velocity_momentum, self.matching = float(velocity_momentum), matching

    def predict_boxes(self, track_ids: List[int], frame_id: int) -> torch.Tensor:
        """(m, 4) constant-velocity predictions of the tracklets' boxes at ``frame_id``."""
        preds = []
        for tid in track_ids:
            tr = self.tracks[tid]
            preds.append(tr['bbox'] + (tr['velocity'] * max(frame_id - tr['last_frame'], 1)).repeat(2))
        return torch.stack(preds)

    def gate(self, bboxes: torch.Tensor, frame_id: int, track_ids: Optional[List[int]] = None) -> torch.Tensor:
        """(n, m) normalised distance ``d / r`` of detection centres to the predicted centres of ``track_ids`` (all
        tracklets by default; ``<= 1``: inside the motion gate)."""
        track_ids = self.ids if track_ids is None else track_ids
        gap = torch.tensor([frame_id - self.tracks[i]['last_frame'] for i in track_ids],
                           dtype=bboxes.dtype).clamp_min(1)
        last = torch.stack([self.tracks[i]['bbox'] for i in track_ids]).to(bboxes)
        pred = self.predict_boxes(track_ids, frame_id).to(bboxes)
        pred_c, det_c = (pred[:, :2] + pred[:, 2:]) / 2, (bboxes[:, :2] + bboxes[:, 2:]) / 2
        radius = self.motion_gate * (last[:, 3] - last[:, 1]).clamp_min(1) * gap.sqrt()
        return torch.cdist(det_c, pred_c) / radius[None]

    def likelihood(self, embeds: torch.Tensor, memo: torch.Tensor, allowed: torch.Tensor,
                   prior: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(n, m) bi-directional walk likelihood over the ``allowed`` transitions; ``prior`` (n, m) is added to the
        logits (the motion prior)."""
        logits = embeds @ memo.t() / self.temperature
        if prior is not None:
            logits = logits + prior
        logits = logits.masked_fill(~allowed, -1e4)
        if self.null_similarity is None:
            bwd = F.softmax(logits, dim=1)  # detection -> tracklet
            fwd = F.softmax(logits.t(), dim=1)  # tracklet -> detection
        else:  # an absorbing "no link" node: the walker stops unless some transition beats its similarity
            null = logits.new_full((1, ), self.null_similarity / self.temperature)
            bwd = F.softmax(torch.cat([logits, null.expand(len(logits), 1)], 1), dim=1)[:, :-1]
            fwd = F.softmax(torch.cat([logits.t(), null.expand(logits.shape[1], 1)], 1), dim=1)[:, :-1]
        return (bwd + fwd.t()) / 2 * allowed

    def associate(self, bboxes: torch.Tensor, embeds: torch.Tensor, frame_id: int) -> torch.Tensor:
        """(n,) tracklet id of each detection, -1 where none: stage 1 (walks, confirmed tracklets), then stage 2
        (IoU with predicted boxes, every tracklet left over) when ``iou_match_thr`` is set."""
        ids = torch.full((len(bboxes), ), -1, dtype=torch.long)
        if not len(bboxes) or self.empty:
            return ids
        confirmed = [i for i in self.ids if self.tracks[i]['confirmed']]
        if confirmed:
            memo = F.normalize(torch.stack([self.tracks[i]['embed'] for i in confirmed]).to(embeds), dim=1)
            dist = self.gate(bboxes.float().cpu(), frame_id, confirmed).to(embeds.device)
            score = self.likelihood(embeds, memo, dist <= 1, -self.motion_weight * dist.pow(2))
            rows, cols = assign(score, self.match_score_thr, self.matching)
            ids[rows] = torch.as_tensor([confirmed[c] for c in cols], dtype=torch.long)
        if self.iou_match_thr is not None:
            taken = set(ids.tolist())
            rest = [i for i in self.ids if i not in taken]
            free = torch.nonzero(ids == -1).flatten()
            if rest and len(free):
                ious = bbox_overlaps(bboxes[free].float().cpu(), self.predict_boxes(rest, frame_id))
                rows, cols = assign(ious, self.iou_match_thr, self.matching)
                ids[free[rows]] = torch.as_tensor([rest[c] for c in cols], dtype=torch.long)
        return ids

    def track(self, data_sample, model: Optional[torch.nn.Module] = None, **kwargs) -> InstanceData:
        dets = data_sample.pred_instances
        if 'embeds' not in dets:
            raise KeyError('WalkerTracker needs pred_instances.embeds (the model\'s embed() output)')
        frame_id = int(data_sample.metainfo.get('frame_id', -1))
        keep = dets.scores >= self.obj_score_thr
        bboxes, scores, labels = dets.bboxes[keep], dets.scores[keep], dets.labels[keep]
        embeds = F.normalize(dets.embeds[keep].float(), dim=1)
        ids = self.associate(bboxes, embeds, frame_id)
        new = (ids == -1) & (scores >= self.init_score_thr).cpu()
        ids[new] = torch.arange(self.num_tracks + 1, self.num_tracks + 1 + int(new.sum()), dtype=torch.long)
        self.num_tracks += int(new.sum())
        for k in torch.nonzero(ids > -1).flatten().tolist():
            self._update_track(int(ids[k]), bboxes[k].detach().float().cpu(), embeds[k].detach().cpu(),
                               float(scores[k]), frame_id)
        for tid in [i for i, tr in self.tracks.items() if frame_id - tr['last_frame'] >= self.num_frames_retain or
                    (not tr['confirmed'] and tr['last_frame'] != frame_id)]:
            self.tracks.pop(tid)  # too long lost, or tentative and missed
        self._drop_duplicates(frame_id)
        valid = (ids > -1).to(bboxes.device)
        return InstanceData(bboxes=bboxes[valid], scores=scores[valid], labels=labels[valid],
                            instances_id=ids[valid.cpu()].to(bboxes.device))

    def _drop_duplicates(self, frame_id: int) -> None:
        """Remove lost tracklets whose constant-velocity prediction overlaps a tracklet seen in this frame by IoU
        above ``duplicate_iou_thr``: a second tracklet of the same object (born while the first was unmatched) would
        otherwise keep competing with it for the object's detections."""
        if self.duplicate_iou_thr is None:
            return
        live = [i for i, tr in self.tracks.items() if tr['last_frame'] == frame_id]
        lost = [i for i, tr in self.tracks.items() if tr['last_frame'] != frame_id]
        if not live or not lost:
            return
        ious = bbox_overlaps(self.predict_boxes(lost, frame_id), torch.stack([self.tracks[i]['bbox'] for i in live]))
        for k in torch.nonzero(ious.max(1).values > self.duplicate_iou_thr).flatten().tolist():
            self.tracks.pop(lost[k])

    def _update_track(self, tid: int, bbox: torch.Tensor, embed: torch.Tensor, score: float, frame_id: int) -> None:
        if tid not in self.tracks:
            self.tracks[tid] = dict(bbox=bbox, embed=embed, velocity=torch.zeros(2), last_frame=frame_id, hits=1,
                                    confirmed=self.num_tentatives <= 1)
            return
        tr = self.tracks[tid]
        gap = max(frame_id - tr['last_frame'], 1)
        step = ((bbox[:2] + bbox[2:]) - (tr['bbox'][:2] + tr['bbox'][2:])) / 2 / gap
        tr['velocity'] = self.velocity_momentum * tr['velocity'] + (1 - self.velocity_momentum) * step
        momentum = self.memo_momentum
        if self.adaptive_momentum:
            trust = min(max((score - self.obj_score_thr) / max(1 - self.obj_score_thr, 1e-6), 0.0), 1.0)
            momentum = momentum + (1 - momentum) * (1 - trust)
        tr['embed'] = F.normalize(momentum * tr['embed'] + (1 - momentum) * embed, dim=0)
        tr['bbox'], tr['last_frame'], tr['hits'] = bbox, frame_id, tr['hits'] + 1
        tr['confirmed'] = tr['confirmed'] or tr['hits'] >= self.num_tentatives
