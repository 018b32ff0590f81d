"""Walker model (tiny config, random weights) and WalkerTracker on scripted embeddings."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from panguvision.models.tracking.walker import WalkerTracker, jitter_boxes
from panguvision.registry import MODELS

CFG = Path(__file__).resolve().parents[4] / 'configs' / 'walker' / '_base_' / 'walker_tiny.py'


@pytest.fixture(scope='module')
def model():
    init_default_scope('panguvision')
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(str(CFG)).model)


def _clip(num_frames=3, ids=(1, 2, 3)):
    g = torch.Generator().manual_seed(1)
    samples = []
    for t in range(num_frames):
        boxes = torch.tensor([[8.0 + 3 * t, 8, 28 + 3 * t, 48], [40, 10, 60, 50], [70, 4, 86, 44]])
        s = DetDataSample(metainfo=dict(frame_id=t, img_shape=(64, 96)))
        s.gt_instances = InstanceData(bboxes=boxes, labels=torch.zeros(3, dtype=torch.long),
                                      instances_ids=torch.tensor(ids))
        samples.append(s)
    return torch.rand(1, num_frames, 3, 64, 96, generator=g) * 2 - 1, [TrackDataSample(video_data_samples=samples)]


def test_jitter_boxes_groups_and_bounds():
    boxes = torch.tensor([[10.0, 10, 30, 50], [0, 0, 5, 5]])
    out, groups = jitter_boxes(boxes, 3, 0.1, (40, 60), torch.Generator().manual_seed(0))
    assert out.shape == (6, 4) and groups.tolist() == [0, 1, 0, 1, 0, 1]
    torch.testing.assert_close(out[:2], torch.tensor([[10.0, 10, 30, 40 - 1], [0, 0, 5, 5]]))  # clipped copy
    assert (out[:, 2:] > out[:, :2]).all() and (out[:, 0::2] <= 59).all() and (out[:, 1::2] <= 39).all()


def test_walker_loss_trains_without_identity_labels(model):
    model.train()
    inputs, samples = _clip()
    torch.manual_seed(0)
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_walk', 'loss_exclusion'} and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    grads = [p.grad for p in model.backbone.parameters() if p.grad is not None]
    assert grads and sum(g.abs().sum() for g in grads) > 0
    model.zero_grad()
    inputs2, samples2 = _clip(ids=(7, 7, 9))  # other identity labels: the loss does not read them
    torch.manual_seed(0)
    torch.testing.assert_close(model.loss(inputs2, samples2)['loss_walk'], losses['loss_walk'])
    # a few optimiser steps on this clip lower the walk loss
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    first = None
    for _ in range(5):
        opt.zero_grad()
        loss = model.loss(inputs, samples)
        total = loss['loss_walk'] + loss['loss_exclusion']
        first = float(total.detach()) if first is None else first
        total.backward()
        opt.step()
    assert float(total.detach()) < first


def test_walker_predicts_ids_from_proposals(model):
    model.eval()
    inputs, samples = _clip(num_frames=4)
    for s in samples[0]:
        s.proposals = InstanceData(bboxes=s.gt_instances.bboxes.clone(), scores=torch.full((3, ), 0.9))
        s.set_metainfo(dict(scale_factor=(1.0, 1.0), ori_shape=(64, 96)))
    with torch.no_grad():
        out = model.predict(inputs, samples)[0]
    ids = [out[t].pred_track_instances.instances_id.tolist() for t in range(4)]
    assert ids[0] == [1, 2, 3] and all(sorted(i) == [1, 2, 3] for i in ids)
    assert out[0].pred_instances.embeds.shape == (3, 64)


def _frame(t, boxes, embeds, scores=None):
    s = DetDataSample(metainfo=dict(frame_id=t))
    boxes = torch.tensor(boxes, dtype=torch.float32)
    s.pred_instances = InstanceData(bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long),
                                    scores=torch.full((len(boxes), ), 0.9) if scores is None else torch.tensor(scores),
                                    embeds=F.normalize(torch.as_tensor(embeds, dtype=torch.float32), dim=1))
    return s


def test_walker_tracker_follows_appearance_through_a_crossing():
    tracker = WalkerTracker(motion_gate=2.0)
    red, blue = [1.0, 0, 0], [0, 1.0, 0]
    assert tracker.track(_frame(0, [[0, 0, 10, 20], [14, 0, 24, 20]], [red, blue])).instances_id.tolist() == [1, 2]
    # the boxes swap places: IoU would swap the ids, appearance keeps them
    out = tracker.track(_frame(1, [[12, 0, 22, 20], [2, 0, 12, 20]], [red, blue]))
    assert out.instances_id.tolist() == [1, 2]


def test_walker_tracker_motion_gate_and_bidirectional_likelihood():
    tracker = WalkerTracker(motion_gate=1.0)
    red = [1.0, 0, 0]
    tracker.track(_frame(0, [[0, 0, 10, 20]], [red]))
    far = tracker.track(_frame(1, [[200, 0, 210, 20]], [red]))  # same look, impossible jump: a new tracklet
    assert far.instances_id.tolist() == [2]
    lik = tracker.likelihood(F.normalize(torch.tensor([[1.0, 0], [0.9, 0.1]]), dim=1),
                             F.normalize(torch.tensor([[1.0, 0], [0, 1.0]]), dim=1), torch.ones(2, 2, dtype=bool))
    assert lik[0, 0] > lik[1, 0] and lik[1, 1] > lik[1, 0] * 0  # forward/backward combined, in [0, 1]
    assert ((lik >= 0) & (lik <= 1)).all()
    masked = tracker.likelihood(torch.eye(2), torch.eye(2), torch.tensor([[True, False], [False, False]]))
    assert masked[0, 1] == 0 and masked[1].sum() == 0
    # a lone dissimilar candidate: certain without the absorbing node, unlikely with it
    lone = torch.ones(1, 1, dtype=bool)
    a, b = torch.tensor([[1.0, 0]]), torch.tensor([[0.0, 1]])
    assert tracker.likelihood(a, b, lone) == 1
    assert WalkerTracker(null_similarity=0.3).likelihood(a, b, lone) < 0.1
    assert WalkerTracker(null_similarity=0.3).likelihood(a, a, lone) > 0.9
    # the motion prior prefers the nearer of two look-alikes
    near_far = tracker.likelihood(torch.tensor([[1.0, 0], [1.0, 0]]), torch.tensor([[1.0, 0]]),
                                  torch.ones(2, 1, dtype=bool), torch.tensor([[0.0], [-3.0]]))
    assert near_far[0, 0] > 0.9 and near_far[0, 0] - near_far[1, 0] > 0.4  # the backward walk has one choice
    with pytest.raises(KeyError, match='embeds'):
        s = _frame(2, [[0, 0, 10, 20]], [red])
        del s.pred_instances.embeds
        tracker.track(s)


def test_walker_tracker_drops_duplicate_tracklets():
    red, blue = [1.0, 0, 0], [0, 1.0, 0]
    for thr, expected in ((0.5, [1]), (None, [1, 2])):
        tracker = WalkerTracker(motion_gate=2.0, duplicate_iou_thr=thr)
        tracker.track(_frame(0, [[0, 0, 10, 20], [1, 0, 11, 20]], [red, blue]))  # two tracklets on one object
        assert tracker.track(_frame(1, [[0, 0, 10, 20]], [red])).instances_id.tolist() == [1]
        assert tracker.ids == expected
    tracker = WalkerTracker(motion_gate=2.0, duplicate_iou_thr=0.5)
    tracker.track(_frame(0, [[0, 0, 10, 20], [40, 0, 50, 20]], [red, blue]))
    tracker.track(_frame(1, [[0, 0, 10, 20]], [red]))
    assert tracker.ids == [1, 2]  # a lost tracklet elsewhere is kept
