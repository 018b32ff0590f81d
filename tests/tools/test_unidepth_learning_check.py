"""tools/misc/unidepth_learning_check.py: the constant baseline and the pass/fail rule (the training run itself is
exercised by test_unidepth_train_test.py)."""
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tools' / 'misc'))
import unidepth_learning_check as check  # noqa: E402


def test_constant_baseline_uses_the_training_median(tmp_path):
    from panguvision.datasets.synthetic_depth import write_synthetic_depth
    from panguvision.evaluation.functional import evaluate_depth
    from panguvision.utils.image_io import read_depth_png
    train = write_synthetic_depth(str(tmp_path / 'train'), 3, (16, 20), seed=1)
    test = write_synthetic_depth(str(tmp_path / 'test'), 2, (16, 20), seed=2)
    result = check.constant_baseline(train, test)
    depths = [read_depth_png(str(p), 1000.0) for p in sorted((tmp_path / 'train' / 'depth').glob('*.png'))]
    median = float(np.median(np.concatenate([d.ravel() for d in depths])))
    assert result['median_depth'] == pytest.approx(median)
    gts = [read_depth_png(str(p), 1000.0).astype(np.float64) for p in sorted((tmp_path / 'test' / 'depth').glob('*'))]
    expected = np.mean([evaluate_depth(np.full_like(g, median), g, 1e-3, 20.0)['abs_rel'] for g in gts])
    assert result['abs_rel'] == pytest.approx(expected) and result['abs_rel'] > 0
    assert 0 <= result['d1'] <= 1
