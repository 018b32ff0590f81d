"""A multi-object tracking model that tracks given boxes (public / SAM detections) or its detector's boxes."""
from typing import Optional

import torch
from mmdet.models.mot import BaseMOTModel
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

from panguvision.registry import MODELS

__all__ = ['PublicDetMOT']


@MODELS.register_module()
class PublicDetMOT(BaseMOTModel):
    """Detector-free MOT: every frame's boxes come from ``det_data_sample.proposals`` (``bboxes`` (N, 4) float32 xyxy
    pixels in the network-input frame, ``scores`` (N,); see ``LoadPublicDetections`` / ``PackMOTInputs``), or from
    ``detector`` when one is configured; any tracker with mmdet's ``track(data_sample=..., model=..., img=...)``
    interface associates them.

    Predictions follow mmdet: ``det_data_sample.pred_track_instances`` with ``bboxes`` (original-image pixels when
    ``rescale``), ``scores``, ``labels``, ``instances_id``.

    Args:
        tracker: tracker config (``IoUTracker``, ``WalkerTracker``, ``mmdet.ByteTracker``, ...).
        detector: optional mmdet detector config; without one, proposals are required.
        det_score_thr: boxes scoring below it are dropped before tracking.
        data_preprocessor: usually ``mmdet.TrackDataPreprocessor``.
    """

    def __init__(self, tracker: dict, detector: Optional[dict] = None, det_score_thr: float = 0.0,
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.detector = MODELS.build(detector) if detector is not None else None
        self.tracker = MODELS.build(tracker)
        self.det_score_thr = float(det_score_thr)
        self._bench_state = None

    def detect(self, img: torch.Tensor, sample: DetDataSample) -> InstanceData:
        """Boxes of one frame in the network-input frame: ``bboxes`` (N, 4), ``scores`` (N,), ``labels`` (N,).

        Args:
            img: (1, C, H, W) normalised frame.
            sample: the frame's data sample (``proposals`` are read when there is no detector).
        """
        if self.detector is not None:
            dets = self.detector.predict(img, [sample], rescale=False)[0].pred_instances
            dets = InstanceData(bboxes=dets.bboxes, scores=dets.scores, labels=dets.labels)
        else:
            proposals = sample.get('proposals', None)
            if proposals is None:
                raise KeyError(f'{type(self).__name__} has no detector and frame {sample.metainfo.get("img_path")} '
                               'has no `proposals`: add LoadPublicDetections + PackMOTInputs to the pipeline or '
                               'configure a detector')
            bboxes = proposals.bboxes.to(img.device, torch.float32).reshape(-1, 4)
            scores = proposals.get('scores', None)
            scores = torch.ones(len(bboxes), device=img.device) if scores is None else scores.to(img.device).float()
            dets = InstanceData(bboxes=bboxes, scores=scores,
                                labels=torch.zeros(len(bboxes), dtype=torch.long, device=img.device))
        return dets[dets.scores >= self.det_score_thr]

    def embed(self, img: torch.Tensor, bboxes: torch.Tensor) -> Optional[torch.Tensor]:
        """Appearance embeddings (N, D) of ``bboxes`` (N, 4, input frame) in ``img`` (1, C, H, W), stored as
        ``pred_instances.embeds`` for the tracker; None here (no appearance model), subclasses override it."""
        return None

    def predict(self, inputs: torch.Tensor, data_samples, rescale: bool = True, **kwargs):
        """Track the frames of ``inputs`` (1, T, C, H, W) in order; the tracker is reset at ``frame_id == 0``."""
        if inputs.dim() != 5 or inputs.size(0) != 1 or len(data_samples) != 1:
            raise ValueError(f'{type(self).__name__}.predict: expected inputs (1, T, C, H, W) and one '
                             f'TrackDataSample, got {tuple(inputs.shape)} and {len(data_samples)} samples')
        track_sample = data_samples[0]
        if track_sample[0].metainfo.get('frame_id', 0) == 0:
            self.tracker.reset()
        for t in range(len(track_sample)):
            sample = track_sample[t]
            img = inputs[:, t].contiguous()
            dets = self.detect(img, sample)
            embeds = self.embed(img, dets.bboxes)
            if embeds is not None:
                dets.embeds = embeds
            if rescale and 'scale_factor' in sample.metainfo:
                dets = dets.clone()
                dets.bboxes = dets.bboxes / dets.bboxes.new_tensor(sample.metainfo['scale_factor']).repeat(2)
            sample.pred_instances = dets
            sample.pred_track_instances = self.tracker.track(
                data_sample=sample, model=self, img=img, feats=None, rescale=rescale, **kwargs)
        return [track_sample]

    def loss(self, inputs, data_samples, **kwargs):
        if self.detector is None:
            raise NotImplementedError(f'{type(self).__name__} without a detector has nothing to train')
        samples = [s[0] for s in data_samples]
        return self.detector.loss(inputs[:, 0].contiguous(), samples)

    def benchmark_batch(self, batch_size: int, size: tuple, generator: torch.Generator) -> dict:
        """One frame ``(1, 3, H, W)`` with 30 proposals that drift by 2 px per call, frame ids counting up, so that
        ``tools/analysis_tools/benchmark.py`` times the steady state of a tracked video."""
        if batch_size != 1:
            raise ValueError('MOT models track one video at a time: use --batch-size 1')
        h, w = size
        if self._bench_state is None:
            xy = torch.rand(30, 2, generator=generator) * torch.tensor([w * 0.8, h * 0.7])
            wh = torch.rand(30, 2, generator=generator) * torch.tensor([w * 0.05, h * 0.15]) + torch.tensor([8., 20.])
            self._bench_state = [torch.cat([xy, xy + wh], 1), 0]
        boxes, frame = self._bench_state
        self._bench_state = [boxes + 2.0, frame + 1]
        img = (torch.rand(1, 3, h, w, generator=generator) * 255).to(torch.uint8)
        sample = DetDataSample(metainfo=dict(frame_id=frame, img_shape=(h, w), ori_shape=(h, w),
                                             scale_factor=(1.0, 1.0), img_path=f'bench/img1/{frame + 1:06d}.jpg'))
        sample.proposals = InstanceData(bboxes=boxes.clone(), scores=torch.full((30, ), 0.9))
        return dict(inputs=[img], data_samples=[TrackDataSample(video_data_samples=[sample])])
