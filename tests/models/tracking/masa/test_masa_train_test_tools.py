"""MASA through tools/train.py (2-view pseudo-videos of synthetic frames) and tools/test.py (tracking a synthetic
sequence from its public detections, scored by mmdet's MOTChallengeMetric / TrackEval)."""
import glob
import json
from pathlib import Path

import pytest

TINY = 'tests/configs/tiny_masa_r18.py'


@pytest.mark.slow
def test_train_a_few_iterations_then_track_a_synthetic_sequence(tmp_path, run_tool):
    from panguvision.datasets import make_synthetic_mot
    root = tmp_path / 'syn'
    make_synthetic_mot(str(root), num_sequences=1, num_frames=6, image_size=(96, 128), num_objects=(3, 4), seed=5)
    run_tool('tools/dataset_converters/mot2coco.py', '-i', root, '-o', root / 'annotations', '--convert-det')
    det = root / 'annotations' / 'train_detections.json'
    work = tmp_path / 'work'
    run_tool('tools/train.py', TINY, '--work-dir', work, '--cfg-options', 'train_cfg.max_iters=2',
             f'train_dataloader.dataset.data_root={root}/', 'train_dataloader.dataset.mixup_prob=0.5')
    checkpoint = (work / 'last_checkpoint').read_text().strip()
    assert checkpoint.endswith('iter_2.pth') and Path(checkpoint).is_file()
    logs = [json.loads(line) for log in glob.glob(str(work / '*' / 'vis_data' / 'scalars.json'))
            for line in Path(log).read_text().splitlines()]
    assert any('loss_track' in entry and 'loss_track_aux' in entry for entry in logs), logs

    test_dir = tmp_path / 'test'
    run_tool('tools/test.py', TINY, checkpoint, '--work-dir', test_dir, '--cfg-options',
             f'test_dataloader.dataset.data_root={root}/',
             f'test_dataloader.dataset.pipeline.0.transforms.3.det_file={det}')
    metrics = json.loads(Path(glob.glob(str(test_dir / '*' / '*.json'))[-1]).read_text().strip().splitlines()[-1])
    for key in ('HOTA', 'IDF1', 'MOTA'):
        value = metrics[f'motchallenge-metric/{key}']
        assert -1 <= value <= 1, metrics
    assert metrics['motchallenge-metric/HOTA'] > 0  # the public boxes are near the gt: something is tracked
