"""tools/misc/walker_learning_check.py and walker_tracker_sweep.py: the pass/fail rule, the argument defaults and
the setting parser (the training and tracking runs themselves are exercised by the Walker tool tests)."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tools' / 'misc'))
import walker_learning_check as check  # noqa: E402
import walker_tracker_sweep as sweep  # noqa: E402


def _rows(iou, trained):
    return {check.ROWS['iou']: dict(IDF1=iou[0], HOTA=iou[1]),
            check.ROWS['trained']: dict(IDF1=trained[0], HOTA=trained[1])}


@pytest.mark.parametrize('iou, trained, passed', [((0.75, 0.60), (0.89, 0.67), True),
                                                  ((0.797, 0.639), (0.796, 0.623), False),
                                                  ((0.75, 0.60), (0.80, 0.59), False),
                                                  ((0.75, 0.60), (0.75, 0.61), False)])
def test_walker_must_beat_the_baseline_in_idf1_and_hota(iou, trained, passed):
    assert check.beats_baseline(_rows(iou, trained)) is passed


def test_missing_rows_fail_and_eval_sets_use_other_seeds():
    assert not check.beats_baseline({check.ROWS['trained']: dict(IDF1=1.0, HOTA=1.0)})
    args = check.parse_args([])
    assert args.eval_set == 'heldout' and check.EVAL_SEEDS['heldout'] != check.EVAL_SEEDS['val'] != 0
    assert check.parse_args(['--eval-set', 'val', '--tracker-options', 'num_tentatives=3']).tracker_options == [
        'num_tentatives=3']


def test_sweep_setting_parser():
    assert sweep.parse_setting('') == {}
    assert sweep.parse_setting('iou_match_thr=0.3, num_tentatives=2,adaptive_momentum=True,matching=greedy') == dict(
        iou_match_thr=0.3, num_tentatives=2, adaptive_momentum=True, matching='greedy')
