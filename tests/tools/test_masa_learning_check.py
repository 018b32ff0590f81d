"""tools/misc/masa_learning_check.py: the pass rule and the argument defaults (the training and tracking runs
themselves are exercised by the MASA model and tool tests)."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tools' / 'misc'))
import masa_learning_check as check  # noqa: E402


def _rows(iou, random, trained, gated):
    names = ('IoU baseline', 'MASA, random weights', 'MASA, trained', 'MASA, trained + motion gate')
    return {name: dict(IDF1=v[0], HOTA=v[1]) for name, v in zip(names, (iou, random, trained, gated))}


@pytest.mark.parametrize('gated, beats', [((0.776, 0.55), True), ((0.745, 0.70), False), ((0.70, 0.70), False)])
def test_gated_masa_must_beat_iou_in_idf1(gated, beats):
    out = check.verdict(_rows((0.745, 0.597), (0.25, 0.26), (0.62, 0.52), gated))
    assert out['beats_iou_baseline'] is beats and out['learned']


@pytest.mark.parametrize('trained, learned', [((0.62, 0.52), True), ((0.62, 0.20), False), ((0.20, 0.52), False)])
def test_learned_needs_idf1_and_hota_above_random_weights(trained, learned):
    assert check.verdict(_rows((0.7, 0.6), (0.25, 0.26), trained, (0.8, 0.6)))['learned'] is learned


def test_missing_rows_fail_and_eval_sets_use_other_seeds():
    assert check.verdict({'MASA, trained + motion gate': dict(IDF1=1.0, HOTA=1.0)}) == dict(
        learned=False, beats_iou_baseline=False)
    args = check.parse_args([])
    assert args.eval_set == 'heldout' and check.EVAL_SEEDS['heldout'] != check.EVAL_SEEDS['val'] != 0
    assert check.parse_args(['--model-options', 'model.freeze_backbone=False']).model_options == [
        'model.freeze_backbone=False']
