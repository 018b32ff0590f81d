"""TrackEval-based MOT evaluation: hand-computed toy cases and agreement with motmetrics on TUD data."""
import shutil
from pathlib import Path

import pytest

from panguvision.evaluation.functional import evaluate_mot

# Two people, four frames, boxes far apart (frame, id, x, y, w, h).
GT_BOXES = [(t, 1, 10 + t, 10, 20, 40) for t in range(1, 5)] + [(t, 2, 100, 10 + t, 20, 40) for t in range(1, 5)]


def write_seq(root, gt_rows, res_rows, seq='SEQ-01', gt_suffix=',1,1,1'):
    (root / 'gt' / seq / 'gt').mkdir(parents=True, exist_ok=True)
    (root / 'res').mkdir(exist_ok=True)
    (root / 'gt' / seq / 'gt' / 'gt.txt').write_text(''.join(','.join(map(str, r)) + gt_suffix + '\n'
                                                             for r in gt_rows))
    (root / 'res' / f'{seq}.txt').write_text(''.join(','.join(map(str, r)) + ',1,-1,-1,-1\n' for r in res_rows))
    return root / 'gt', root / 'res'


def test_perfect_tracker_scores_one(tmp_path):
    res = evaluate_mot(*write_seq(tmp_path, GT_BOXES, GT_BOXES))
    for key in ('HOTA', 'DetA', 'AssA', 'MOTA', 'MOTP', 'IDF1'):
        assert res['SEQ-01'][key] == pytest.approx(1.0)
        assert res['COMBINED'][key] == pytest.approx(1.0)
    assert (res['SEQ-01']['IDSW'], res['SEQ-01']['FP'], res['SEQ-01']['FN']) == (0, 0, 0)


def test_one_id_switch(tmp_path):
    # Person 1 gets a new tracker id (3) from frame 3 on.
    tracked = [(t, 3 if (i == 1 and t >= 3) else i, x, y, w, h) for t, i, x, y, w, h in GT_BOXES]
    res = evaluate_mot(*write_seq(tmp_path, GT_BOXES, tracked))['SEQ-01']
    assert res['IDSW'] == 1 and res['FP'] == 0 and res['FN'] == 0
    assert res['MOTA'] == pytest.approx(1 - 1 / 8)                # 1 - (FN + FP + IDSW) / GT
    assert res['IDF1'] == pytest.approx(2 * 6 / (2 * 6 + 2 + 2))  # IDTP 6 (4 + 2), IDFP 2, IDFN 2
    assert res['AssA'] == pytest.approx((4 * 1 + 4 * 0.5) / 8)     # person 1's matches: TPA 2 / (2 + 2 FNA)
    assert res['HOTA'] == pytest.approx(0.75 ** 0.5)               # DetA 1 (exact boxes)


def test_mot15_rows_and_mot17_distractors(tmp_path):
    # MOT15 ground truth (10 columns, world coordinates, no class) scores as pedestrians.
    res = evaluate_mot(*write_seq(tmp_path / 'a', GT_BOXES, GT_BOXES, gt_suffix=',1,4.5,5.5,0'))
    assert res['SEQ-01']['MOTA'] == pytest.approx(1.0)
    # MOT17: a tracker box on a distractor (class 8) is no FP, a conf-0 pedestrian missed is no FN.
    extra_gt = [(1, 7, 200, 10, 20, 40)]
    gt_dir, res_dir = write_seq(tmp_path / 'b', GT_BOXES, GT_BOXES + extra_gt)
    with open(gt_dir / 'SEQ-01' / 'gt' / 'gt.txt', 'a') as f:
        f.write('1,7,200,10,20,40,1,8,1\n2,8,300,10,20,40,0,1,1\n')
    res = evaluate_mot(gt_dir, res_dir)['SEQ-01']
    assert (res['FP'], res['FN'], res['MOTA'], res['GT_Dets'], res['Dets']) == (0, 0, 1.0, 8, 8)
    res = evaluate_mot(gt_dir, res_dir, remove_distractors=False)['SEQ-01']
    assert (res['FP'], res['FN'], res['GT_Dets'], res['Dets']) == (0, 0, 9, 9)  # the distractor is a plain gt box


def test_seqinfo_length_bounds_results(tmp_path):
    gt_dir, res_dir = write_seq(tmp_path, GT_BOXES, GT_BOXES + [(9, 1, 10, 10, 20, 40)])
    (gt_dir / 'SEQ-01' / 'seqinfo.ini').write_text('[Sequence]\nname=SEQ-01\nseqLength=4\n')
    with pytest.raises(ValueError, match=r'SEQ-01\.txt:9: frame 9, expected at most the sequence length 4'):
        evaluate_mot(gt_dir, res_dir)


@pytest.fixture(scope='module')
def tud_layout(tmp_path_factory):
    """motmetrics' TUD-Campus / TUD-Stadtmitte (MOT15 format) as <gt>/<seq>/gt/gt.txt and <res>/<seq>.txt."""
    mm = pytest.importorskip('motmetrics')
    data = Path(mm.__file__).parent / 'data'
    root = tmp_path_factory.mktemp('tud')
    for seq in ('TUD-Campus', 'TUD-Stadtmitte'):
        (root / 'gt' / seq / 'gt').mkdir(parents=True)
        (root / 'res').mkdir(exist_ok=True)
        shutil.copy(data / seq / 'gt.txt', root / 'gt' / seq / 'gt' / 'gt.txt')
        shutil.copy(data / seq / 'test.txt', root / 'res' / f'{seq}.txt')
    return root


def test_agrees_with_motmetrics_on_tud(tud_layout):
    """CLEAR MOT and IDF1 against motmetrics' own IoU evaluation.

    Conventions made comparable: motmetrics pairs boxes at distance ``1 - IoU <= 0.5`` (``distth=0.5``), TrackEval
    at ``IoU >= 0.5``, the same set; gt rows with conf < 1 are dropped on both sides (``min_confidence=1`` and
    TrackEval's zero-marked removal); motmetrics' MOTP is a mean distance ``1 - IoU`` where TrackEval's is a mean IoU.
    """
    import motmetrics as mm
    ours = evaluate_mot(tud_layout / 'gt', tud_layout / 'res')
    names = ['mota', 'motp', 'idf1', 'num_switches', 'num_false_positives', 'num_misses']
    for seq in ('TUD-Campus', 'TUD-Stadtmitte'):
        gt = mm.io.loadtxt(str(tud_layout / 'gt' / seq / 'gt' / 'gt.txt'), fmt='mot15-2D', min_confidence=1)
        hyp = mm.io.loadtxt(str(tud_layout / 'res' / f'{seq}.txt'), fmt='mot15-2D')
        acc = mm.utils.compare_to_groundtruth(gt, hyp, 'iou', distth=0.5)
        ref = mm.metrics.create().compute(acc, metrics=names, name=seq).iloc[0]
        got = ours[seq]
        assert got['MOTA'] == pytest.approx(ref['mota'], abs=1e-3)
        assert got['IDF1'] == pytest.approx(ref['idf1'], abs=1e-3)
        assert got['MOTP'] == pytest.approx(1 - ref['motp'], abs=1e-3)
        assert (got['FP'], got['FN'], got['IDSW']) == (
            ref['num_false_positives'], ref['num_misses'], ref['num_switches'])
    # Published motmetrics reference numbers for these files (its test suite): MOTA 52.6 % / 56.4 %.
    assert ours['TUD-Campus']['MOTA'] == pytest.approx(0.526, abs=1e-3)
    assert ours['TUD-Stadtmitte']['MOTA'] == pytest.approx(0.564, abs=1e-3)
