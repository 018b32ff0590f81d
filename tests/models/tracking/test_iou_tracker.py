"""IoU baseline: IoUTracker on scripted boxes, the assignment helper, and PublicDetMOT tracking proposals."""
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

from panguvision.models.tracking.iou_tracker import IoUTracker
from panguvision.models.tracking.matching import assign
from panguvision.models.tracking.public_det_mot import PublicDetMOT


def _frame(frame_id, boxes, scores=None):
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    scores = torch.full((len(boxes), ), 0.9) if scores is None else torch.tensor(scores)
    sample = DetDataSample(metainfo=dict(frame_id=frame_id))
    sample.pred_instances = InstanceData(bboxes=boxes, scores=scores, labels=torch.zeros(len(boxes), dtype=torch.long))
    return sample


def _run(tracker, frames):
    tracker.reset()
    return [tracker.track(data_sample=_frame(t, *f)).instances_id.tolist() for t, f in enumerate(frames)]


def test_assign_hungarian_beats_greedy_and_respects_threshold():
    score = torch.tensor([[0.9, 0.8], [0.85, 0.1]])
    rows, cols = assign(score, 0.3, 'hungarian')
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 1), (1, 0)]  # total 1.65 > 0.9 + (nothing)
    rows, cols = assign(score, 0.3, 'greedy')
    assert list(zip(rows.tolist(), cols.tolist())) == [(0, 0)]
    rows, cols = assign(torch.tensor([[0.2]]), 0.3)
    assert len(rows) == 0
    with pytest.raises(ValueError, match='hungarian'):
        assign(score, 0.3, 'nearest')


def test_iou_tracker_keeps_ids_of_moving_boxes_and_starts_new_ones():
    a, b = [0, 0, 10, 20], [50, 0, 60, 20]
    frames = [([a, b], ), ([[2, 0, 12, 20], [52, 0, 62, 20]], ),
              ([[4, 0, 14, 20], [54, 0, 64, 20], [100, 0, 110, 20]], )]
    ids = _run(IoUTracker(), frames)
    assert ids == [[1, 2], [1, 2], [1, 2, 3]]


def test_iou_tracker_thresholds_gaps_and_retention():
    tracker = IoUTracker(obj_score_thr=0.3, init_score_thr=0.5, match_iou_thr=0.3, num_frames_retain=2)
    box = [0, 0, 10, 20]
    # a low-score box neither starts a track nor is reported; a mid-score one continues but cannot start one
    assert _run(tracker, [([box], [0.4]), ([box], [0.1])]) == [[], []]
    ids = _run(tracker, [([box], ), ([], ), ([box], [0.4])])
    assert ids == [[1], [], [1]]  # one missed frame: the track is retained and resumed
    ids = _run(tracker, [([box], ), ([], ), ([], ), ([box], )])
    assert ids == [[1], [], [], [2]]  # gone for num_frames_retain frames: a new id
    far = _run(tracker, [([box], ), ([[30, 0, 40, 20]], )])
    assert far == [[1], [2]]  # no overlap, no match


def test_iou_tracker_switches_identities_when_boxes_cross():
    """What the baseline cannot do: two equal boxes crossing in one step swap identities."""
    frames = [([[0, 0, 10, 20], [14, 0, 24, 20]], ), ([[12, 0, 22, 20], [2, 0, 12, 20]], )]
    ids = _run(IoUTracker(), frames)
    assert ids[1] == [2, 1]  # matched by overlap: box 0 of frame 1 (the one that moved right) takes id 2


def test_public_det_mot_tracks_proposals_and_rescales():
    model = PublicDetMOT(tracker=dict(type='IoUTracker'),
                         data_preprocessor=dict(type='mmdet.TrackDataPreprocessor', pad_size_divisor=1))
    samples = []
    for t in range(3):
        s = DetDataSample(metainfo=dict(frame_id=t, img_shape=(40, 80), ori_shape=(20, 40), scale_factor=(2.0, 2.0)))
        s.proposals = InstanceData(bboxes=torch.tensor([[4.0 + 2 * t, 4, 24 + 2 * t, 36], [50, 4, 70, 36]]),
                                   scores=torch.tensor([0.9, 0.2]))
        samples.append(s)
    out = model.predict(torch.zeros(1, 3, 3, 40, 80), [TrackDataSample(video_data_samples=samples)])[0]
    for t in range(3):
        pred = out[t].pred_track_instances
        assert pred.instances_id.tolist() == [1]  # the 0.2-score box is dropped by obj_score_thr
        torch.testing.assert_close(pred.bboxes, torch.tensor([[2.0 + t, 2, 12 + t, 18]]))  # original pixels
    bare = DetDataSample(metainfo=dict(frame_id=0, img_path='x/img1/000001.jpg'))
    with pytest.raises(KeyError, match='proposals'):
        model.predict(torch.zeros(1, 1, 3, 8, 8), [TrackDataSample(video_data_samples=[bare])])
