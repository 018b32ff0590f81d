"""NuScenesLidarSegMetric against hand-computed IoUs, and its agreement with mmdet3d's seg_eval where they coincide."""
import numpy as np
import pytest
import torch

pytest.importorskip('nuscenes')
from panguvision.evaluation.metrics.lidarseg_metric import NuScenesLidarSegMetric  # noqa: E402


def _sample(gt, pred):
    return dict(pred_pts_seg=dict(pts_semantic_mask=torch.tensor(pred)),
                eval_ann_info=dict(pts_semantic_mask=np.array(gt)))


def test_hand_computed_iou():
    metric = NuScenesLidarSegMetric(classes=('a', 'b', 'c'))  # ignore index 3
    # scan 1: a a b b | pred a b b b ; scan 2: c c ignore | pred c a a
    metric.process({}, [_sample([0, 0, 1, 1], [0, 1, 1, 1]), _sample([2, 2, 3], [2, 0, 0])])
    out = metric.compute_metrics(metric.results)
    # a: TP 1, FN 1 (a->b), FP 1 (c->a; the ignored point's prediction is not counted) -> 1/3
    # b: TP 2, FP 1 -> 2/3 ; c: TP 1, FN 1 -> 1/2
    assert out['a'] == pytest.approx(1 / 3)
    assert out['b'] == pytest.approx(2 / 3)
    assert out['c'] == pytest.approx(1 / 2)
    assert out['mIoU'] == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)


def test_absent_class_is_left_out_of_the_mean():
    metric = NuScenesLidarSegMetric(classes=('a', 'b', 'c'))
    metric.process({}, [_sample([0, 1], [0, 1])])
    out = metric.compute_metrics(metric.results)
    assert np.isnan(out['c']) and out['mIoU'] == pytest.approx(1.0)


def test_matches_mmdet3d_seg_eval_when_every_class_occurs():
    from mmdet3d.evaluation import seg_eval
    rng = np.random.default_rng(0)
    gts = [rng.integers(0, 5, 200) for _ in range(3)]  # 4 = ignore
    preds = [rng.integers(0, 4, 200) for _ in range(3)]
    metric = NuScenesLidarSegMetric(classes=('a', 'b', 'c', 'd'))
    metric.process({}, [_sample(g, p) for g, p in zip(gts, preds)])
    ours = metric.compute_metrics(metric.results)
    theirs = seg_eval(gts, preds, {i: n for i, n in enumerate('abcd')}, ignore_index=4)
    assert ours['mIoU'] == pytest.approx(theirs['miou'], abs=1e-6)


def test_bad_prediction_is_named():
    metric = NuScenesLidarSegMetric(classes=('a', 'b'))
    with pytest.raises(ValueError, match='scan.bin'):
        metric.process({}, [dict(_sample([0, 1], [0, 5]), lidar_path='scan.bin')])
    with pytest.raises(ValueError, match='3 points'):
        metric.process({}, [_sample([0, 1], [0, 1, 1])])
