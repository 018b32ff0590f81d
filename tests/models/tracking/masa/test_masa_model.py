"""The MASA model (tiny config): losses on a two-view pair with a frozen backbone, tracking from public boxes in
original-image pixels, the SAM "track anything" mode and the benchmark inputs."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from panguvision.registry import MODELS

REPO = Path(__file__).resolve().parents[4]
TINY = REPO / 'tests' / 'configs' / 'tiny_masa_r18.py'


@pytest.fixture(scope='module')
def model():
    init_default_scope('panguvision')
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(str(TINY)).model)


def textured_pair(h=96, w=128):
    """Two views of one image of 3 textured boxes (the 2nd view shifted by (+8, +4) px), uint8 0..255 (T, 3, H, W)."""
    gen = torch.Generator().manual_seed(1)
    img = torch.full((3, h, w), 114.)
    boxes = torch.tensor([[10., 10., 40., 60.], [50., 20., 90., 70.], [95., 30., 120., 90.]])
    for x1, y1, x2, y2 in boxes.int().tolist():
        img[:, y1:y2, x1:x2] = torch.rand(3, y2 - y1, x2 - x1, generator=gen) * 255
    shifted = torch.full_like(img, 114.)
    shifted[:, 4:, 8:] = img[:, :-4, :-8]
    return torch.stack([img, shifted]), [boxes, boxes + torch.tensor([8., 4., 8., 4.])]


def train_sample(boxes_per_view, h=96, w=128):
    frames = []
    for t, boxes in enumerate(boxes_per_view):
        frame = DetDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), scale_factor=(1., 1.),
                                            frame_id=0, batch_input_shape=(h, w)))
        frame.gt_instances = InstanceData(bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long),
                                          instances_ids=torch.arange(1, len(boxes) + 1))
        frames.append(frame)
    sample = TrackDataSample(metainfo=dict(key_frames_inds=[0], ref_frames_inds=[1]))
    sample.video_data_samples = frames
    return sample


def test_losses_train_the_adapter_but_not_the_frozen_backbone(model):
    imgs, boxes = textured_pair()
    model.train()
    assert not model.adapter.backbone.training  # frozen backbone stays in eval mode (BN statistics)
    data = model.data_preprocessor(dict(inputs=[imgs], data_samples=[train_sample(boxes)]), True)
    losses = model(**data, mode='loss')
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_track', 'loss_track_aux'):
        assert key in losses
    total = sum(v.sum() if torch.is_tensor(v) else sum(v) for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    model.zero_grad()
    total.backward()
    assert all(p.grad is None for p in model.adapter.backbone.parameters())
    assert not any(p.requires_grad for p in model.adapter.backbone.parameters())
    neck_grad = model.adapter.neck[1].blocks[0].spatial_conv_mid.conv.weight.grad
    embed_grad = model.track_head.embed_head.fc_embed.weight.grad
    assert neck_grad is not None and neck_grad.abs().sum() > 0 and embed_grad.abs().sum() > 0
    model.eval()


def test_rejects_single_frame_training_inputs(model):
    with pytest.raises(ValueError, match='2-frame pseudo-videos'):
        model.loss(torch.zeros(1, 1, 3, 32, 32), [])


def frame_sample(frame_id, proposals, scale=0.5, h=96, w=128):
    sample = DetDataSample(metainfo=dict(
        frame_id=frame_id, img_shape=(h, w), ori_shape=(int(h / scale), int(w / scale)), pad_shape=(h, w),
        scale_factor=(scale, scale), batch_input_shape=(h, w)))
    sample.proposals = InstanceData(bboxes=proposals, scores=torch.full((len(proposals), ), 0.9))
    return sample


def test_tracks_public_proposals_and_returns_original_pixels(model):
    imgs, boxes = textured_pair()
    ids = []
    for t in range(2):
        video = TrackDataSample(metainfo=dict(key_frames_inds=[0]))
        video.video_data_samples = [frame_sample(t, boxes[t])]
        data = model.data_preprocessor(dict(inputs=[imgs[t:t + 1]], data_samples=[video]), False)
        with torch.no_grad():
            out = model(**data, mode='predict')[0][0]
        tracked = out.pred_track_instances
        assert len(tracked) == 3
        # network-input boxes / scale_factor 0.5 = original pixels, in the tracker's (score, duplicate-free) order
        order = torch.cdist(tracked.bboxes, boxes[t] * 2).argmin(1)
        assert torch.allclose(tracked.bboxes, boxes[t][order] * 2)
        ids.append(tracked.instances_id[order.argsort()].tolist())
    assert sorted(ids[0]) == [0, 1, 2]
    assert len(set(ids[1])) == 3 and max(ids[1]) <= 5  # ids are unique per frame


def test_box_source_proposals_without_proposals_fails_clearly(model):
    model.test_cfg['box_source'] = 'proposals'
    try:
        sample = DetDataSample(metainfo=dict(frame_id=0, img_shape=(96, 128), scale_factor=(1., 1.)))
        with pytest.raises(KeyError, match='no `proposals`'):
            model.detect(torch.zeros(1, 3, 96, 128), None, sample)
    finally:
        model.test_cfg['box_source'] = 'auto'


def test_sam_track_anything_mode_with_a_tiny_sam():
    init_default_scope('panguvision')
    cfg = Config.fromfile(str(TINY))
    cfg.model.sam_proposer = dict(type='SAMAutoMaskProposer', model_type='tiny', min_area=1,
                                  generator_cfg=dict(points_per_side=4, pred_iou_thresh=0.0,
                                                     stability_score_thresh=0.0))
    cfg.model.test_cfg = dict(box_source='sam')
    cfg.model.tracker.init_score_thr = -1.0  # random SAM: keep whatever it proposes
    torch.manual_seed(0)
    sam_model = MODELS.build(cfg.model).eval()
    assert not any(name.startswith('sam') for name in sam_model.state_dict())  # SAM stays out of checkpoints
    imgs, _ = textured_pair()
    video = TrackDataSample(metainfo=dict(key_frames_inds=[0]))
    sample = DetDataSample(metainfo=dict(frame_id=0, img_shape=(96, 128), ori_shape=(96, 128), pad_shape=(96, 128),
                                         scale_factor=(1., 1.), batch_input_shape=(96, 128)))
    video.video_data_samples = [sample]
    data = sam_model.data_preprocessor(dict(inputs=[imgs[:1]], data_samples=[video]), False)
    # the proposer sees the loaded (BGR) image as RGB: undoing the normalisation gives the uint8 input back
    rgb = imgs[0].flip(0).permute(1, 2, 0).numpy().round().astype(int)
    assert np.abs(sam_model.input_image(data['inputs'][:, 0], sample).astype(int) - rgb).max() <= 1
    with torch.no_grad():
        out = sam_model(**data, mode='predict')[0][0]
    boxes = out.pred_instances.bboxes
    assert len(boxes) > 0 and len(out.pred_track_instances) > 0
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 128).all() and (boxes[:, 3] <= 96).all()


def test_benchmark_batch_runs_through_test_step(model):
    batch = model.benchmark_batch(2, (64, 96), torch.Generator().manual_seed(0))
    out = model.test_step(batch)
    assert len(out) == 1 and len(out[0]) == 2
    assert all('instances_id' in frame.pred_track_instances for frame in out[0])
