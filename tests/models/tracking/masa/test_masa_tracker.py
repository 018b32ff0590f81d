"""MASATracker on scripted boxes and embeddings."""
import pytest
import torch
import torch.nn.functional as F

from panguvision.models.tracking.masa import MASATracker

EMB = F.normalize(torch.eye(4) * 4 + 0.1, dim=1) * 4  # four distinct identities, (4, 4)


def box(x, y, w=20, h=40):
    return [x, y, x + w, y + h]


def step(tracker, frame, boxes, identities, scores=None):
    """One frame of detections of the given identities; returns their ids in input order."""
    n = len(boxes)
    scores = torch.tensor(scores if scores is not None else [0.9] * n)
    keep, ids = tracker.associate(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4), scores,
                                  torch.zeros(n, dtype=torch.long), EMB[identities], frame)
    out = torch.full((n, ), -9, dtype=torch.long)
    out[keep] = ids
    return out.tolist()


def test_match_score_is_mean_of_bisoftmax_and_cosine():
    a = torch.tensor([[1., 0.], [0., 2.]])
    b = torch.tensor([[1., 0.], [1., 1.], [0., 1.]])
    dots = a @ b.t()
    expected = ((dots.softmax(1) + dots.softmax(0)) / 2 + F.normalize(a) @ F.normalize(b).t()) / 2
    assert torch.allclose(MASATracker.match_scores(a, b), expected)


def test_ids_survive_a_short_occlusion_and_objects_keep_apart():
    tracker = MASATracker(init_score_thr=0.5, match_score_thr=0.5, memo_tracklet_frames=10)
    first = step(tracker, 0, [box(10, 10), box(100, 10)], [0, 1])
    assert sorted(first) == [0, 1]
    for frame in range(1, 4):  # object 1 hidden for 3 frames
        assert step(tracker, frame, [box(10 + 2 * frame, 10)], [0]) == [first[0]]
    # both back, in swapped input order and with object 0 moved: appearance decides
    assert step(tracker, 4, [box(100, 12), box(18, 10)], [1, 0]) == [first[1], first[0]]


def test_new_id_after_the_memory_expires_but_not_before():
    tracker = MASATracker(memo_tracklet_frames=5)
    (first, ) = step(tracker, 0, [box(10, 10)], [2])
    assert step(tracker, 5, [box(10, 10)], [2]) == [first]  # gap of 5 frames: still in memory
    assert step(tracker, 11, [box(10, 10)], [2]) == [first + 1]  # gap of 6: forgotten, new id
    assert tracker.num_tracks == 2


def test_memory_embedding_momentum_update():
    tracker = MASATracker(memo_momentum=0.8, match_score_thr=0.0)
    e1, e2 = torch.tensor([[1., 0., 0., 0.]]), torch.tensor([[0.6, 0.8, 0., 0.]])
    tracker.associate(torch.tensor([box(0, 0)], dtype=torch.float32), torch.tensor([0.9]), torch.zeros(1).long(), e1,
                      0)
    tracker.associate(torch.tensor([box(0, 0)], dtype=torch.float32), torch.tensor([0.9]), torch.zeros(1).long(), e2,
                      1)
    assert tracker.ids == [0]
    assert torch.allclose(tracker.get('embeds'), 0.2 * e1 + 0.8 * e2)


def test_low_scores_neither_start_nor_continue_tracks_and_duplicates_are_removed():
    tracker = MASATracker(init_score_thr=0.5, obj_score_thr=0.3, nms_iou_thr=0.7)
    assert step(tracker, 0, [box(10, 10), box(100, 10)], [0, 1], scores=[0.9, 0.4]) == [0, -1]
    # the duplicate of object 0 (IoU 0.9) is dropped; object 0 itself at score 0.2 (< obj_score_thr) is not matched
    ids = step(tracker, 1, [box(10, 10), box(11, 10)], [0, 0], scores=[0.95, 0.9])
    assert ids == [0, -9]
    assert step(tracker, 2, [box(12, 10)], [0], scores=[0.2]) == [-1]


def test_motion_gate_refuses_an_appearance_match_far_from_the_predicted_box():
    boxes = [[box(10, 10)], [box(20, 10)]]  # moves +10 px per frame
    gated, free = MASATracker(motion_gate_iou=0.3), MASATracker()
    for tracker in (gated, free):
        for frame, b in enumerate(boxes):
            assert step(tracker, frame, b, [0]) == [0]
    # same appearance far away: appearance alone matches it, the gate (prediction at x=30) does not
    assert step(free, 2, [box(200, 100)], [0]) == [0]
    assert step(gated, 2, [box(200, 100)], [0]) == [1]
    # near the constant-velocity prediction the gate lets it through
    assert step(gated, 3, [box(40, 10)], [0]) == [0]
    assert torch.allclose(gated.predicted_boxes(4)[0], torch.tensor(box(50., 10.)))


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError, match='memo_momentum'):
        MASATracker(memo_momentum=1.5)
    with pytest.raises(ValueError, match='memo_tracklet_frames'):
        MASATracker(memo_tracklet_frames=0)


def test_gated_pairs_take_no_part_in_the_bisoftmax():
    a = torch.tensor([[1., 0.], [0., 1.]])
    b = torch.tensor([[1., 0.], [0., 1.], [1., 1.]])
    valid = torch.tensor([[True, False, False], [False, False, False]])
    s = MASATracker.match_scores(a, b, valid)
    assert not torch.isnan(s).any()
    # the only valid pair wins both softmaxes outright: (1 + cosine 1) / 2; everything else scores 0
    assert torch.allclose(s, torch.tensor([[1., 0., 0.], [0., 0., 0.]]))


@pytest.mark.parametrize('gate_in_softmax, keeps_ids', [(True, True), (False, False)])
def test_many_far_tracklets_do_not_dilute_a_gated_match(gate_in_softmax, keeps_ids):
    """12 static objects with weak, alike embeddings (as an untrained head gives: small norm, cosine 0.85 between
    frames): behind the motion gate each detection has one plausible tracklet. Gating inside the bi-softmax keeps
    every id; gating after it leaves bi-softmax ~ 1/12, the score (1/12 + 0.85) / 2 < 0.5 and every id re-born."""
    tracker = MASATracker(match_score_thr=0.5, motion_gate_iou=0.1, gate_in_softmax=gate_in_softmax)
    boxes = torch.tensor([box(25 * k, 10 + 30 * (k % 2)) for k in range(12)], dtype=torch.float32)
    scores, labels = torch.full((12, ), 0.9), torch.zeros(12, dtype=torch.long)
    _, first = tracker.associate(boxes, scores, labels, torch.tensor([[0.5, 0.]]).repeat(12, 1), 0)
    later = torch.tensor([[0.5 * 0.85, 0.5 * (1 - 0.85**2)**0.5]]).repeat(12, 1)
    keep, ids = tracker.associate(boxes, scores, labels, later, 1)
    assert (ids.tolist() == first.tolist()) is keeps_ids
    assert tracker.num_tracks == (12 if keeps_ids else 24)
