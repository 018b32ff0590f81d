"""Depth errors against hand arithmetic, the evaluation mask and crops, prediction clipping."""
import math

import numpy as np
import pytest

from panguvision.evaluation.functional import (DEPTH_METRIC_KEYS, clip_depth, crop_box, depth_errors, eval_mask,
                                               evaluate_depth)

# Three valid pixels (plus one invalid one that must not count): gt = 1, 2, 4 m, pred = 1, 3, 2 m.
GT = np.array([[1.0, 2.0], [4.0, 0.0]])
PRED = np.array([[1.0, 3.0], [2.0, 100.0]])
VALID = GT > 0


def test_every_metric_by_hand():
    errors = depth_errors(PRED, GT, VALID)
    assert tuple(errors) == DEPTH_METRIC_KEYS
    assert all(isinstance(v, np.float64) for v in errors.values())
    # ratio max(p/g, g/p) = 1, 1.5, 2
    assert errors['d1'] == pytest.approx(1 / 3)  # only 1 < 1.25
    assert errors['d2'] == pytest.approx(2 / 3)  # 1, 1.5 < 1.5625
    assert errors['d3'] == pytest.approx(2 / 3)  # 2 >= 1.953125
    # |p - g| / g = 0/1, 1/2, 2/4
    assert errors['abs_rel'] == pytest.approx((0 + 0.5 + 0.5) / 3)
    # (p - g)^2 / g = 0/1, 1/2, 4/4
    assert errors['sq_rel'] == pytest.approx((0 + 0.5 + 1.0) / 3)
    # (p - g)^2 = 0, 1, 4
    assert errors['rmse'] == pytest.approx(math.sqrt(5 / 3))
    # log p - log g = 0, ln 1.5, -ln 2
    d = [0.0, math.log(1.5), -math.log(2.0)]
    assert errors['rmse_log'] == pytest.approx(math.sqrt((d[1]**2 + d[2]**2) / 3))
    # |log10 p - log10 g| = 0, log10 1.5, log10 2 -> sum log10 3
    assert errors['log10'] == pytest.approx(math.log10(3.0) / 3)
    mean_d = (d[1] + d[2]) / 3
    mean_d2 = (d[1]**2 + d[2]**2) / 3
    assert errors['silog'] == pytest.approx(100 * math.sqrt(mean_d2 - mean_d**2))


def test_perfect_prediction():
    gt = np.array([[0.5, 3.0, 70.0], [12.0, 0.0, 0.0]])
    errors = depth_errors(gt.copy(), gt, gt > 0)
    assert errors['d1'] == errors['d2'] == errors['d3'] == 1.0
    for key in ('abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10', 'silog'):
        assert errors[key] == 0.0, key


def test_invalid_pixels_are_ignored():
    reference = depth_errors(PRED, GT, VALID)
    garbage = PRED.copy()
    garbage[1, 1] = -7.0  # not positive, but outside the mask
    assert depth_errors(garbage, GT, VALID) == reference
    cropped = depth_errors(PRED[:, :1], GT[:, :1], VALID[:, :1])  # gt 1, 4 / pred 1, 2
    assert cropped['abs_rel'] == pytest.approx((0 + 0.5) / 2)


def test_errors_reject_bad_input():
    with pytest.raises(ValueError, match='no valid pixel'):
        depth_errors(PRED, GT, np.zeros_like(VALID))
    with pytest.raises(ValueError, match='shapes differ'):
        depth_errors(PRED[:1], GT, VALID)
    with pytest.raises(ValueError, match='positive'):
        depth_errors(np.zeros_like(PRED), GT, VALID)


def test_eval_mask_range_is_strict():
    gt = np.array([[0.0, 1e-3, 0.5, 79.9, 80.0, np.inf, np.nan]])
    np.testing.assert_array_equal(eval_mask(gt, 1e-3, 80.0), [[False, False, True, True, False, False, False]])


@pytest.mark.parametrize('crop, shape, box', [
    # KITTI 375x1242: int(0.40810811*375)=153, int(0.99189189*375)=371, int(0.03594771*1242)=44,
    # int(0.96405229*1242)=1197.
    ('garg', (375, 1242), (153, 371, 44, 1197)),
    # int(0.3324324*375)=124, int(0.91351351*375)=342; columns as Garg.
    ('eigen', (375, 1242), (124, 342, 44, 1197)),
    # KITTI benchmark crop 352x1216: int(143.65)=143, int(349.15)=349, int(43.71)=43, int(1172.29)=1172.
    ('garg', (352, 1216), (143, 349, 43, 1172)),
    ('nyu_eigen', (480, 640), (45, 471, 41, 601)),
])
def test_crop_masks(crop, shape, box):
    assert crop_box(crop, *shape) == box
    mask = eval_mask(np.full(shape, 5.0), crop=crop)
    top, bottom, left, right = box
    expected = np.zeros(shape, bool)
    expected[top:bottom, left:right] = True
    np.testing.assert_array_equal(mask, expected)
    assert mask.sum() == (bottom - top) * (right - left)


def test_crop_errors():
    with pytest.raises(ValueError, match='480x640'):
        crop_box('nyu_eigen', 375, 1242)
    with pytest.raises(ValueError, match='unknown'):
        eval_mask(np.ones((4, 4)), crop='kb')


def test_clip_and_full_protocol():
    np.testing.assert_array_equal(clip_depth([0.0, 5.0, 100.0, np.nan, np.inf, -np.inf], 1e-3, 80.0),
                                  [1e-3, 5.0, 80.0, 1e-3, 80.0, 1e-3])
    gt = np.array([[10.0, 40.0], [90.0, 0.0]])  # 90 m and 0 are not evaluated
    pred = np.array([[10.0, 120.0], [1.0, 1.0]])  # 120 m is clipped to 80: ratio 2 at 40 m
    errors = evaluate_depth(pred, gt, 1e-3, 80.0)
    assert errors['d1'] == 0.5 and errors['abs_rel'] == pytest.approx((0 + 40 / 40) / 2)
    assert evaluate_depth(pred, np.zeros_like(gt)) is None
    with pytest.raises(ValueError, match='resize'):
        evaluate_depth(pred[:1], gt)
