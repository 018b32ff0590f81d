"""The synthetic LiDAR NeRF + pseudo-label config through the real tools/train.py and tools/test.py."""
import glob
import json
from pathlib import Path

import pytest

from panguvision.datasets.synthetic_lidar import write_synthetic_lidar

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_train_and_test_tiny_lidar_nerf_sam(tmp_path, run_tool):
    data = tmp_path / 'data'
    write_synthetic_lidar(str(data), dict(train=dict(sequence=0, num_scans=4), val=dict(sequence=8, num_scans=2)),
                          num_beams=16, num_azimuths=256)
    work = tmp_path / 'work'
    opts = ['--cfg-options', f'train_dataloader.dataset.data_root={data}', f'val_dataloader.dataset.data_root={data}',
            f'test_dataloader.dataset.data_root={data}']
    run_tool('tools/train.py', 'tests/configs/tiny_lidar_nerf_sam.py', '--work-dir', str(work), *opts, cwd=REPO)
    log = (work / sorted(p.name for p in work.iterdir() if p.is_dir())[-1] / 'vis_data' / 'scalars.json')
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    train_rows = [r for r in rows if 'loss_nerf_depth' in r]
    assert len(train_rows) == 4 and all(r['loss_nerf_depth'] > 0 for r in train_rows)
    val = [r for r in rows if 'miou' in r]
    assert val and 0 <= val[-1]['miou'] <= 1
    ckpt = (work / 'last_checkpoint').read_text().strip()
    assert ckpt.endswith('iter_4.pth')
    run_tool('tools/test.py', 'tests/configs/tiny_lidar_nerf_sam.py', ckpt, '--work-dir', str(tmp_path / 'test'),
             *opts, cwd=REPO)
    results = glob.glob(str(tmp_path / 'test' / '*' / '*.json'))
    assert results and 'miou' in json.loads(Path(results[0]).read_text().strip().splitlines()[-1])
