"""MASA: a universal association adapter on a frozen detector or segmenter backbone, trained from static images."""
from typing import List, Optional, Tuple

import torch
from mmdet.models.mot import BaseMOTModel
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData
from torch import Tensor

from panguvision.registry import MODELS, TASK_UTILS

BOX_SOURCES = ('auto', 'detector', 'proposals', 'adapter', 'sam')


@MODELS.register_module()
class MASA(BaseMOTModel):
    """MASA adapter + tracker on mmdet's MOT framework.

    The ``adapter`` is an mmdet two-stage detector (``mmdet.FasterRCNN``) whose backbone is frozen (a ResNet-50 of
    any mmdet detector, or SAM's ViT through ``SAMImageEncoderBackbone``) and whose trained parts are the neck (FPN
    or ``SimpleFeaturePyramid``, then ``DeformFusionNeck``), a class-agnostic RPN and a class-agnostic box head (one
    class: "object"). The ``track_head`` (mmdet ``QuasiDenseTrackHead`` with a 4-conv + 1-fc ``QuasiDenseEmbedHead``,
    256-d) pools RoI features from the adapter's fused pyramid and is trained with the multi-positive contrastive loss
    and the auxiliary margin L2 loss. Training takes 2-frame pseudo-videos (two augmented views of one image, same
    instance ids), exactly like QDTrack's key/reference pairs.

    At test time the boxes to track come from ``test_cfg.box_source``:

    * ``'detector'``: the separate ``detector`` (any mmdet detector; plug-and-play mode);
    * ``'proposals'``: ``det_data_sample.proposals`` (public / external detections: ``bboxes (N, 4)`` xyxy pixels in
      the network-input frame, ``scores (N,)``);
    * ``'adapter'``: the adapter's own class-agnostic detections;
    * ``'sam'``: SAM automatic masks of each frame (``sam_proposer``; the "track anything" mode);
    * ``'auto'`` (default): ``detector`` when given, else ``proposals`` when the sample has them, else ``adapter``.

    Args:
        adapter: mmdet two-stage detector config (backbone, neck, rpn_head, roi_head, train_cfg, test_cfg).
        track_head: mmdet ``QuasiDenseTrackHead`` config.
        tracker: ``MASATracker`` config.
        detector: optional mmdet detector config for ``box_source='detector'``.
        sam_proposer: optional ``SAMAutoMaskProposer`` config (``TASK_UTILS``) for ``box_source='sam'``; it is kept
            out of the module tree so its SAM weights are not part of MASA's checkpoints.
        freeze_backbone: freeze the adapter's backbone (and keep it in eval mode).
        share_detector_backbone: the adapter uses the ``detector``'s backbone module (one backbone pass per frame for
            detection and association, as in MASA's plug-and-play models); the adapter's own is discarded.
        test_cfg: ``dict(box_source='auto', score_thr=0.0, keep_labels=None)``; ``score_thr`` drops weaker boxes
            before tracking, ``keep_labels`` (a list of class indices, e.g. ``[0]`` for COCO persons) keeps only
            those classes of a detector.
        data_preprocessor: mmdet ``TrackDataPreprocessor`` config.
    """

    def __init__(self,
                 adapter: dict,
                 track_head: dict,
                 tracker: Optional[dict] = None,
                 detector: Optional[dict] = None,
                 sam_proposer: Optional[dict] = None,
                 freeze_backbone: bool = True,
                 share_detector_backbone: bool = False,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.adapter = MODELS.build(adapter)
        self.track_head = MODELS.build(track_head)
        self.tracker = MODELS.build(tracker) if tracker is not None else None
        self.detector = MODELS.build(detector) if detector is not None else None
        self.sam_proposer = TASK_UTILS.build(sam_proposer) if sam_proposer is not None else None
        if share_detector_backbone:
            if self.detector is None:
                raise ValueError('MASA: share_detector_backbone=True needs a `detector`')
            self.adapter.backbone = self.detector.backbone
        self.test_cfg = dict(dict(box_source='auto', score_thr=0.0, keep_labels=None), **(test_cfg or {}))
        if self.test_cfg['box_source'] not in BOX_SOURCES:
            raise ValueError(f'MASA test_cfg.box_source must be one of {BOX_SOURCES}, '
                             f'got {self.test_cfg["box_source"]!r}')
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            for param in self.adapter.backbone.parameters():
                param.requires_grad = False
        if self.detector is not None:  # the plug-and-play detector is used as it is
            self.freeze_module('detector')

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze_backbone:
            self.adapter.backbone.eval()
        if self.detector is not None:
            self.detector.eval()
        return self

    # ------------------------------------------------------------------ training
    def loss(self, inputs: Tensor, data_samples: List[TrackDataSample], **kwargs) -> dict:
        """Losses of the adapter's RPN and box head on the key view, and of the track head on the view pair.

        Args:
            inputs: ``(N, 2, 3, H, W)``: key and reference view of each pseudo-video.
            data_samples: ``TrackDataSample`` per item with ``gt_instances`` (bboxes, labels, instances_ids) per view.
        """
        if inputs.dim() != 5 or inputs.size(1) != 2:
            raise ValueError(f'MASA trains on 2-frame pseudo-videos (N, 2, C, H, W), got {tuple(inputs.shape)}')
        key_samples, ref_samples, key_inds, ref_inds = [], [], [], []
        for sample in data_samples:
            key_inds.append(sample.key_frames_inds[0])
            ref_inds.append(sample.ref_frames_inds[0])
            key = sample.get_key_frames()[0]
            key.gt_instances.labels = torch.zeros_like(key.gt_instances.labels)  # class-agnostic
            key_samples.append(key)
            ref = sample.get_ref_frames()[0]
            ref.gt_instances.labels = torch.zeros_like(ref.gt_instances.labels)
            ref_samples.append(ref)
        batch = torch.arange(len(inputs))
        key_imgs = inputs[batch, torch.tensor(key_inds)].contiguous()
        ref_imgs = inputs[batch, torch.tensor(ref_inds)].contiguous()
        x = self.adapter.extract_feat(key_imgs)
        ref_x = self.adapter.extract_feat(ref_imgs)

        losses = dict()
        proposal_cfg = self.adapter.train_cfg.get('rpn_proposal', self.adapter.test_cfg.rpn)
        rpn_losses, rpn_results = self.adapter.rpn_head.loss_and_predict(x, key_samples, proposal_cfg=proposal_cfg)
        with torch.no_grad():
            ref_rpn_results = self.adapter.rpn_head.predict(ref_x, ref_samples)
        for name in list(rpn_losses):
            if 'loss' in name and 'rpn' not in name:
                rpn_losses[f'rpn_{name}'] = rpn_losses.pop(name)
        losses.update(rpn_losses)
        losses.update(self.adapter.roi_head.loss(x, rpn_results, key_samples))
        losses.update(self.track_head.loss(x, ref_x, rpn_results, ref_rpn_results, data_samples))
        return losses

    # ------------------------------------------------------------------ inference
    def box_source(self, sample: DetDataSample) -> str:
        source = self.test_cfg['box_source']
        if source != 'auto':
            return source
        if self.detector is not None:
            return 'detector'
        return 'proposals' if 'proposals' in sample else 'adapter'

    def input_image(self, img: Tensor, sample: DetDataSample) -> 'np.ndarray':  # noqa: F821
        """The network input ``(1, 3, H, W)`` turned back into the ``(h, w, 3)`` uint8 RGB image it was made from
        (un-normalised with the data preprocessor's mean/std, cropped to ``img_shape``)."""
        pre = self.data_preprocessor
        x = img[0]
        if getattr(pre, '_enable_normalize', False):
            x = x * pre.std.view(-1, 1, 1) + pre.mean.view(-1, 1, 1)
        h, w = sample.metainfo['img_shape']
        x = x[:, :h, :w]
        if not getattr(pre, '_channel_conversion', False):
            x = x.flip(0)  # images are loaded BGR (mmcv); without bgr_to_rgb the network input is BGR too
        return x.clamp(0, 255).round().byte().permute(1, 2, 0).cpu().numpy()

    def detect(self, img: Tensor, feats: Tuple[Tensor], sample: DetDataSample) -> InstanceData:
        """Boxes to track for one frame: ``InstanceData`` with bboxes ``(N, 4)`` xyxy in network-input pixels, scores
        ``(N,)`` and labels ``(N,)``."""
        source = self.box_source(sample)
        if source == 'detector':
            if self.detector is None:
                raise RuntimeError('MASA: box_source="detector" but the model was built with detector=None')
            det = self.detector.predict(img, [sample], rescale=False)[0].pred_instances
        elif source == 'proposals':
            if 'proposals' not in sample:
                raise KeyError('MASA: box_source="proposals" but the data sample has no `proposals` '
                               '(InstanceData with bboxes (N, 4) in network-input pixels and scores (N,))')
            props = sample.proposals
            det = InstanceData(bboxes=props.bboxes.float(), scores=props.scores.float(),
                               labels=props.get('labels', torch.zeros(len(props.bboxes), dtype=torch.long)))
        elif source == 'adapter':
            rpn = self.adapter.rpn_head.predict(feats, [sample])
            det = self.adapter.roi_head.predict(feats, rpn, [sample], rescale=False)[0]
        else:
            if self.sam_proposer is None:
                raise RuntimeError('MASA: box_source="sam" needs `sam_proposer` in the model config')
            det = self.sam_proposer(self.input_image(img, sample))
        det = det.to(img.device)
        keep = det.scores >= self.test_cfg['score_thr']
        if self.test_cfg['keep_labels'] is not None:
            keep &= torch.isin(det.labels, det.labels.new_tensor(list(self.test_cfg['keep_labels'])))
        return InstanceData(bboxes=det.bboxes[keep].float(), scores=det.scores[keep].float(),
                            labels=det.labels[keep].long())

    def predict(self, inputs: Tensor, data_samples: List[TrackDataSample], rescale: bool = True,
                **kwargs) -> List[TrackDataSample]:
        """Track the frames of one video clip (``(1, T, 3, H, W)``, usually T = 1 with mmdet's image sampler).

        Sets ``pred_instances`` (the boxes tracked, before association) and ``pred_track_instances`` (bboxes,
        scores, labels, instances_id) on every frame, in original-image pixels when ``rescale``.
        """
        if inputs.dim() != 5 or inputs.size(0) != 1 or len(data_samples) != 1:
            raise ValueError(f'MASA tracks one video at a time: inputs (1, T, C, H, W), got {tuple(inputs.shape)}')
        if self.tracker is None:
            raise RuntimeError('MASA.predict needs a `tracker` in the model config')
        track_sample = data_samples[0]
        if track_sample[0].frame_id == 0:
            self.tracker.reset()
        for t in range(len(track_sample)):
            sample = track_sample[t]
            img = inputs[:, t].contiguous()
            feats = self.adapter.extract_feat(img)
            det = self.detect(img, feats, sample)
            scale = det.bboxes.new_tensor(sample.metainfo.get('scale_factor', (1.0, 1.0))).repeat(2)
            if rescale:
                det.bboxes = det.bboxes / scale
            sample.pred_instances = det
            sample.pred_track_instances = self.tracker.track(
                model=self, img=img, feats=feats, data_sample=sample, rescale=rescale)
        return [track_sample]

    def benchmark_batch(self, batch_size: int, size: Tuple[int, int], generator: torch.Generator) -> dict:
        """Random inputs for ``tools/analysis_tools/benchmark.py``: ``batch_size`` consecutive frames of one video,
        each ``(3, h, w)`` in 0..255 with 20 random public boxes as ``proposals`` (the tracker's per-frame work)."""
        h, w = size
        inputs, frames = [], []
        for i in range(batch_size):
            inputs.append(torch.rand(1, 3, h, w, generator=generator) * 255)
            xy = torch.rand(20, 2, generator=generator) * torch.tensor([w * 0.8, h * 0.8])
            wh = 16 + torch.rand(20, 2, generator=generator) * torch.tensor([w * 0.2, h * 0.2])
            proposals = InstanceData(bboxes=torch.cat([xy, xy + wh], 1), scores=torch.rand(20, generator=generator))
            frame = DetDataSample(metainfo=dict(frame_id=i, img_shape=(h, w), ori_shape=(h, w), scale_factor=(1., 1.),
                                                pad_shape=(h, w), batch_input_shape=(h, w)))
            frame.proposals = proposals
            frames.append(frame)
        sample = TrackDataSample(metainfo=dict(key_frames_inds=[0]))
        sample.video_data_samples = frames
        return dict(inputs=[torch.cat(inputs)], data_samples=[sample])
