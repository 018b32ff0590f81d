"""DepthMetric through the registry: process(), compute_metrics() and per-image averaging."""
import numpy as np
import pytest
import torch

from panguvision.evaluation.functional import DEPTH_METRIC_KEYS, depth_errors
from panguvision.registry import METRICS


def _sample(pred, gt) -> dict:
    return {'pred_depth': torch.as_tensor(pred, dtype=torch.float32), 'gt_depth': torch.as_tensor(gt)}


def test_averages_per_image_not_per_pixel():
    # Image A (1, 2, 2): four valid pixels, all predicted at twice the truth -> abs_rel 1, d1 0.
    gt_a = torch.full((1, 2, 2), 1.0)
    pred_a = torch.full((1, 2, 2), 2.0)
    # Image B (1, 3): one valid pixel, predicted exactly -> abs_rel 0, d1 1. Its zeros are "no value".
    gt_b = torch.tensor([[2.0, 0.0, 0.0]])
    pred_b = torch.tensor([[2.0, 5.0, 5.0]])
    metric = METRICS.build(dict(type='DepthMetric'))
    metric.process({}, [_sample(pred_a, gt_a), _sample(pred_b, gt_b)])
    result = metric.evaluate(2)
    assert set(result) == set(DEPTH_METRIC_KEYS)
    # Per image: (1 + 0) / 2 = 0.5; pooled over the five pixels it would be 4/5.
    assert result['abs_rel'] == pytest.approx(0.5)
    assert result['d1'] == pytest.approx(0.5)
    # rmse per image: 1 and 0 -> 0.5 (pooled: sqrt(4/5)).
    assert result['rmse'] == pytest.approx(0.5)
    errors_a = depth_errors(pred_a.numpy(), gt_a.numpy(), gt_a.numpy() > 0)
    errors_b = depth_errors(pred_b.numpy(), gt_b.numpy(), gt_b.numpy() > 0)
    for key in DEPTH_METRIC_KEYS:
        assert result[key] == pytest.approx((errors_a[key] + errors_b[key]) / 2), key


def test_clip_crop_prefix_and_skipped_images():
    metric = METRICS.build(dict(type='DepthMetric', max_depth=10.0, crop='nyu_eigen', prefix='nyu'))
    gt = np.zeros((480, 640), np.float32)
    gt[100, 100] = 5.0  # inside the Eigen crop
    gt[10, 10] = 5.0  # outside: ignored although the prediction there is wrong
    pred = np.full((1, 480, 640), 5.0, np.float32)
    pred[0, 10, 10] = 1.0
    metric.process({}, [_sample(pred, gt), _sample(pred, np.zeros_like(gt))])  # the second has no valid pixel
    assert len(metric.results) == 1
    result = metric.evaluate(1)
    assert result['nyu/d1'] == 1.0 and result['nyu/abs_rel'] == 0.0
    # A prediction beyond max_depth is clipped to it: 30 m -> 10 m against 5 m is abs_rel 1.
    metric = METRICS.build(dict(type='DepthMetric', max_depth=10.0))
    metric.process({}, [_sample(torch.tensor([[30.0]]), torch.tensor([[5.0]]))])
    assert metric.evaluate(1)['abs_rel'] == pytest.approx(1.0)


def test_bad_arguments_and_shapes():
    with pytest.raises(ValueError, match='crop'):
        METRICS.build(dict(type='DepthMetric', crop='kb'))
    with pytest.raises(ValueError, match='min_depth'):
        METRICS.build(dict(type='DepthMetric', min_depth=5, max_depth=1))
    metric = METRICS.build(dict(type='DepthMetric'))
    with pytest.raises(ValueError, match='resize'):
        metric.process({}, [_sample(torch.ones(1, 2, 2), torch.ones(1, 2, 3))])
    with pytest.raises(ValueError, match='pred_depth'):
        metric.process({}, [_sample(torch.ones(2, 2, 2), torch.ones(2, 2))])
