"""Tracking through the real tools: the IoU baseline with tools/test.py (MOTChallenge txt + TrackEval metrics) and
Walker trained for a few iterations with tools/train.py, then tested with its checkpoint."""
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from panguvision.evaluation.functional.mot_io import read_mot_txt

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    root = tmp_path_factory.mktemp('syn')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    for cmd in (('tools/dataset_converters/make_synthetic_mot.py', root, '--num-seqs', 2, '--frames', 12, '--size',
                 96, 128, '--seed', 5),
                ('tools/dataset_converters/mot2coco.py', '-i', root, '-o', root / 'annotations', '--convert-det')):
        proc = subprocess.run([sys.executable, str(REPO / cmd[0]), *map(str, cmd[1:])], env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
    return root


def _data_options(root):
    det = root / 'annotations' / 'train_detections.json'
    return [f'val_dataloader.dataset.data_root={root}/', f'test_dataloader.dataset.data_root={root}/',
            f'val_dataloader.dataset.pipeline.0.transforms.3.det_file={det}',
            f'test_dataloader.dataset.pipeline.0.transforms.3.det_file={det}']


def _metrics(work_dir):
    logs = sorted(glob.glob(str(work_dir / '*' / '*.json')))
    assert logs, f'no metrics json under {work_dir}'
    return json.loads(Path(logs[-1]).read_text().strip().splitlines()[-1])


def _check_results(res_dir, root):
    for seq in ('SYN-01', 'SYN-02'):
        rows = read_mot_txt(res_dir / f'{seq}.txt', 'res', max_frame=12)
        gt = read_mot_txt(root / 'train' / seq / 'gt' / 'gt.txt')
        assert len(rows) > 0.5 * len(gt)  # most objects are tracked
        assert rows[:, 2:4].max() < 128 and rows[:, 1].min() >= 1  # original-image pixels, MOT ids


def test_iou_baseline_through_test_tool(synthetic, tmp_path, run_tool):
    work = tmp_path / 'iou'
    run_tool('tools/test.py', REPO / 'configs/iou_tracker/iou_tracker_synthetic.py', '--work-dir', work,
             '--cfg-options', *_data_options(synthetic), f'test_evaluator.outfile_prefix={work}/res')
    metrics = _metrics(work)
    assert 0.3 < metrics['motchallenge-metric/IDF1'] <= 1 and 0.3 < metrics['motchallenge-metric/HOTA'] <= 1
    _check_results(work / 'res' / 'default-tracker', synthetic)


@pytest.mark.slow
def test_walker_train_then_test_tools(synthetic, tmp_path, run_tool):
    work = tmp_path / 'walker'
    run_tool('tools/train.py', REPO / 'tests/configs/tiny_walker_synthetic.py', '--work-dir', work, '--cfg-options',
             f'train_dataloader.dataset.data_root={synthetic}/', *_data_options(synthetic))
    ckpt = (work / 'last_checkpoint').read_text().strip()
    assert ckpt.endswith('iter_2.pth')
    log = sorted(glob.glob(str(work / '*' / 'vis_data' / 'scalars.json')))[-1]
    losses = [json.loads(line) for line in Path(log).read_text().splitlines() if '"loss_walk"' in line]
    assert len(losses) == 2 and all(0 < row['loss_walk'] < 10 for row in losses)
    test = tmp_path / 'walker_test'
    run_tool('tools/test.py', REPO / 'tests/configs/tiny_walker_synthetic.py', ckpt, '--work-dir', test,
             '--cfg-options', *_data_options(synthetic), f'test_evaluator.outfile_prefix={test}/res')
    assert 0 < _metrics(test)['motchallenge-metric/IDF1'] <= 1
    _check_results(test / 'res' / 'default-tracker', synthetic)
