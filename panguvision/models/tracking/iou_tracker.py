"""IoU-only multi-object tracker: the association baseline (no appearance, no motion model)."""
from typing import Optional

import torch
from mmdet.models.trackers import BaseTracker
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData

from panguvision.registry import MODELS
from .matching import assign

__all__ = ['IoUTracker']


@MODELS.register_module()
class IoUTracker(BaseTracker):
    """Associate each frame's detections to the tracks' last boxes by IoU (Bochinski et al., AVSS 2017, with an
    optimal assignment instead of greedy by default).

    mmdet ships SORT/DeepSORT, ByteTrack, OC-SORT, StrongSORT and QDTrack trackers, all with a Kalman filter or
    appearance; none associates by IoU alone, which is what this baseline must isolate, hence this small class.

    Per frame: detections scoring below ``obj_score_thr`` are dropped; the rest are matched one-to-one to the tracks
    seen in the last ``num_frames_retain`` frames by IoU (>= ``match_iou_thr``); unmatched detections scoring at least
    ``init_score_thr`` start new tracks (ids 1, 2, ...); tracks unseen for ``num_frames_retain`` frames are removed.

    ``track()`` reads ``data_sample.pred_instances`` (``bboxes`` (N, 4) xyxy pixels, ``scores`` (N,), ``labels``
    (N,)) and ``data_sample.metainfo['frame_id']``; it returns an ``InstanceData`` with the tracked boxes and their
    ``instances_id`` in the same frame as the input boxes.
    """

    def __init__(self, obj_score_thr: float = 0.3, init_score_thr: float = 0.5, match_iou_thr: float = 0.3,
                 matching: str = 'hungarian', num_frames_retain: int = 10, **kwargs) -> None:
        super().__init__(num_frames_retain=num_frames_retain, **kwargs)
        self.obj_score_thr, self.init_score_thr = float(obj_score_thr), float(init_score_thr)
        self.match_iou_thr, self.matching = float(match_iou_thr), matching

    def track(self, data_sample, model: Optional[torch.nn.Module] = None, **kwargs) -> InstanceData:
        dets = data_sample.pred_instances
        frame_id = int(data_sample.metainfo.get('frame_id', -1))
        keep = dets.scores >= self.obj_score_thr
        bboxes, scores, labels = dets.bboxes[keep], dets.scores[keep], dets.labels[keep]
        ids = torch.full((len(bboxes), ), -1, dtype=torch.long)
        if len(bboxes) and not self.empty:
            track_ids = self.ids
            track_boxes = self.get('bboxes', track_ids).to(bboxes)
            rows, cols = assign(bbox_overlaps(bboxes, track_boxes), self.match_iou_thr, self.matching)
            ids[rows] = torch.as_tensor([track_ids[c] for c in cols], dtype=torch.long)
        new = (ids == -1) & (scores >= self.init_score_thr).cpu()
        ids[new] = torch.arange(self.num_tracks + 1, self.num_tracks + 1 + int(new.sum()), dtype=torch.long)
        self.num_tracks += int(new.sum())
        valid = ids > -1
        out = InstanceData(bboxes=bboxes[valid], scores=scores[valid], labels=labels[valid],
                           instances_id=ids[valid].to(bboxes.device))
        if valid.any():
            self.update(ids=ids[valid], bboxes=bboxes[valid].cpu(), scores=scores[valid].cpu(), frame_ids=frame_id)
        else:
            self.pop_invalid_tracks(frame_id)
        return out
