"""DSPO preference data: judges, records (area weights, pre-filter), JSONL round trip, label-file errors."""
import json

import numpy as np
import pytest

from panguvision.apis.preference_data import (HumanLabelJudge, MetricJudge, build_preference_record, masked_psnr,
                                              read_preference_dataset, write_preference_dataset)


def halves(image):
    """Mask generator in SAM's output format: left third and right two thirds."""
    h, w = image.shape[:2]
    left = np.zeros((h, w), bool)
    left[:, :w // 3] = True
    return [dict(segmentation=left, area=int(left.sum())), dict(segmentation=~left, area=int((~left).sum()))]


def make_candidates(rng, gt):
    """Candidate 0 is good on the left, 1 good on the right, 2 bad everywhere."""
    noisy = lambda s: np.clip(gt + rng.normal(0, s, gt.shape), 0, 255).astype(np.uint8)  # noqa: E731
    c0, c1, c2 = noisy(2), noisy(30), noisy(40)
    c1[:, gt.shape[1] // 3:] = noisy(2)[:, gt.shape[1] // 3:]
    c0[:, gt.shape[1] // 3:] = noisy(30)[:, gt.shape[1] // 3:]
    return [c0, c1, c2]


def test_metric_judge_picks_per_instance_and_area_weights():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 256, (24, 30, 3)).astype(np.uint8)
    record = build_preference_record('img', gt[::2, ::2], make_candidates(rng, gt), MetricJudge('psnr'), halves,
                                     gt=gt, min_area=1)
    left, right = record['instances'][1], record['instances'][0]  # sorted by area, largest first
    assert (left['winner'], right['winner']) == (0, 1)
    assert left['loser'] == 2 and right['loser'] == 2
    assert left['weight'] == pytest.approx(1 / 3) and right['weight'] == pytest.approx(2 / 3)
    assert left['bbox'] == [0, 0, 10, 24] and left['area'] == 240


def test_prefilter_keeps_at_least_two_and_indices_refer_to_all_candidates():
    rng = np.random.default_rng(1)
    gt = rng.integers(0, 256, (24, 30, 3)).astype(np.uint8)
    candidates = make_candidates(rng, gt)
    metrics = {'psnr': lambda c, g: masked_psnr(c, g, np.ones(g.shape[:2], bool))}
    record = build_preference_record('img', gt, candidates[::-1], MetricJudge('psnr'), halves, gt=gt,
                                     iqa_metrics=metrics, prefilter=('psnr', 1e9), min_area=1)
    assert len(record['kept']) == 2 and 0 not in record['kept']  # reversed: the all-bad candidate is index 0
    assert all(inst['winner'] in record['kept'] and inst['loser'] in record['kept'] for inst in record['instances'])


def test_no_reference_judge_prefers_sharp():
    rng = np.random.default_rng(2)
    sharp = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    import cv2
    blurred = cv2.GaussianBlur(sharp, (7, 7), 3)
    winner, loser, margin = MetricJudge('auto')([blurred, sharp], np.ones((32, 32), bool), dict(gt=None))
    assert (winner, loser) == (1, 0) and margin > 0


def test_dataset_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    gt = rng.integers(0, 256, (24, 30, 3)).astype(np.uint8)
    candidates = make_candidates(rng, gt)
    path = write_preference_dataset(str(tmp_path), [dict(name='a', lq=gt[::2, ::2], gt=gt, feedback='no text')],
                                    lambda lq, seed: candidates[seed], num_samples=3, judge=MetricJudge(),
                                    mask_generator=halves, min_area=1)
    records = read_preference_dataset(path)
    assert len(records) == 1 and records[0]['feedback'] == 'no text'
    assert (tmp_path / records[0]['candidates'][2]).is_file()
    np.testing.assert_array_equal(records[0]['instances'][0]['mask'], halves(gt)[1]['segmentation'])
    bad = tmp_path / 'bad.jsonl'
    bad.write_text(json.dumps(dict(records[0], instances=[dict(rle={}, winner=0)])) + '\n')
    with pytest.raises(ValueError, match='bad.jsonl:1'):
        read_preference_dataset(str(bad))


def test_human_labels(tmp_path):
    labels = tmp_path / 'labels.jsonl'
    labels.write_text('{"image": "a", "instance": 0, "winner": 2, "loser": 0}\n\n')
    judge = HumanLabelJudge(str(labels))
    assert judge([None] * 3, None, dict(name='a', instance=0))[:2] == (2, 0)
    with pytest.raises(KeyError, match="'a' instance 1"):
        judge([None] * 3, None, dict(name='a', instance=1))
    labels.write_text('{"image": "a"}\n')
    with pytest.raises(ValueError, match='labels.jsonl:1'):
        HumanLabelJudge(str(labels))
