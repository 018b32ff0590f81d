"""WalkerTracker's second (IoU) association stage, tentative tracklets and score-adaptive memory, on scripted
boxes and embeddings."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from panguvision.models.tracking.walker import WalkerTracker

RED, BLUE = [1.0, 0, 0], [0, 1.0, 0]


def _frame(t, boxes, embeds, scores=None):
    s = DetDataSample(metainfo=dict(frame_id=t))
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    s.pred_instances = InstanceData(bboxes=boxes, labels=torch.zeros(len(boxes), dtype=torch.long),
                                    scores=torch.full((len(boxes), ), 0.9) if scores is None else torch.tensor(scores),
                                    embeds=F.normalize(torch.as_tensor(embeds, dtype=torch.float32).reshape(-1, 3),
                                                       dim=1))
    return s


def _ids(tracker, *args, **kwargs):
    return tracker.track(_frame(*args, **kwargs)).instances_id.tolist()


def test_iou_stage_recovers_a_tracklet_the_walk_rejects():
    # the absorbing node rejects a lone candidate that looks different (an occluded crop): without the IoU stage
    # a second tracklet starts on the object, with it the object keeps its id
    for iou_thr, expected in ((None, [2]), (0.3, [1])):
        tracker = WalkerTracker(motion_gate=1.0, null_similarity=0.3, iou_match_thr=iou_thr)
        assert _ids(tracker, 0, [[0, 0, 10, 20]], [RED]) == [1]
        assert _ids(tracker, 1, [[1, 0, 11, 20]], [BLUE]) == expected


def test_iou_stage_uses_the_constant_velocity_prediction():
    tracker = WalkerTracker(motion_gate=1.0, null_similarity=0.3, iou_match_thr=0.5, velocity_momentum=0.0)
    for t in range(3):
        assert _ids(tracker, t, [[10 * t, 0, 10 * t + 10, 20]], [RED]) == [1]
    torch.testing.assert_close(tracker.predict_boxes([1], 4), torch.tensor([[40.0, 0, 50, 20]]))  # 2 frames on
    # frame 3 missed; at frame 4 an odd-looking box where the object should be now (IoU 0 with its last box)
    assert _ids(tracker, 4, [[41, 0, 51, 20]], [BLUE]) == [1]
    tracker = WalkerTracker(motion_gate=1.0, null_similarity=0.3, iou_match_thr=0.5, velocity_momentum=0.0)
    for t in range(3):
        tracker.track(_frame(t, [[10 * t, 0, 10 * t + 10, 20]], [RED]))
    assert _ids(tracker, 3, [[20, 0, 30, 20]], [BLUE]) == [2]  # on the last box, not where it was predicted


def test_tentative_tracklets_need_the_iou_stage():
    with pytest.raises(ValueError, match='iou_match_thr'):
        WalkerTracker(num_tentatives=2)
    with pytest.raises(ValueError, match='num_tentatives'):
        WalkerTracker(num_tentatives=0, iou_match_thr=0.3)


def test_tentative_tracklet_is_deleted_when_it_misses_a_frame():
    tracker = WalkerTracker(num_tentatives=2, iou_match_thr=0.3)
    assert _ids(tracker, 0, [[0, 0, 10, 20]], [RED]) == [1]  # a false positive, say
    assert not tracker.tracks[1]['confirmed']
    assert _ids(tracker, 1, [[100, 0, 110, 20]], [BLUE]) == [2]
    assert tracker.ids == [2]  # tracklet 1 missed while tentative: gone
    assert _ids(tracker, 2, [[101, 0, 111, 20]], [BLUE]) == [2] and tracker.tracks[2]['confirmed']
    tracker.track(_frame(3, [], []))
    assert tracker.ids == [2]  # a confirmed tracklet survives a miss
    confirmed_at_birth = WalkerTracker(iou_match_thr=0.3)
    confirmed_at_birth.track(_frame(0, [[0, 0, 10, 20]], [RED]))
    confirmed_at_birth.track(_frame(1, [], []))
    assert confirmed_at_birth.ids == [1]


def test_duplicate_born_on_an_object_dies_when_the_object_returns_to_its_tracklet():
    def run(num_tentatives):
        tracker = WalkerTracker(motion_gate=1.0, null_similarity=0.3, iou_match_thr=0.3,
                                num_tentatives=num_tentatives)
        assert _ids(tracker, 0, [[0, 0, 10, 20]], [RED]) == [1]
        assert _ids(tracker, 1, [[0, 0, 10, 20]], [RED]) == [1]
        # an occluded crop that moved: the walk rejects it, the IoU (1 / 19) too: a second tracklet is born on it
        assert _ids(tracker, 2, [[9, 0, 19, 20]], [BLUE]) == [2]
        assert _ids(tracker, 3, [[10, 0, 20, 20]], [RED]) == [1]  # the object looks like itself again
        return tracker.ids

    assert run(2) == [1]  # tentative duplicate removed at its first miss
    assert run(1) == [1, 2]  # confirmed at birth, it lives on and competes for the object


def test_adaptive_momentum_trusts_confident_detections():
    def memory_after(score, adaptive):
        tracker = WalkerTracker(motion_gate=2.0, memo_momentum=0.5, obj_score_thr=0.3, adaptive_momentum=adaptive)
        tracker.track(_frame(0, [[0, 0, 10, 20]], [RED]))
        tracker.track(_frame(1, [[0, 0, 10, 20]], [[1.0, 1.0, 0]], scores=[score]))
        return tracker.tracks[1]['embed']

    half = F.normalize(0.5 * torch.tensor([1.0, 0, 0]) + 0.5 * F.normalize(torch.tensor([1.0, 1, 0]), dim=0), dim=0)
    torch.testing.assert_close(memory_after(1.0, True), half)  # full trust: the plain momentum update
    torch.testing.assert_close(memory_after(0.3, True), torch.tensor([1.0, 0, 0]))  # at the threshold: kept
    torch.testing.assert_close(memory_after(0.3, False), half)
    mid = memory_after(0.65, True)
    assert half[1] > mid[1] > 0
