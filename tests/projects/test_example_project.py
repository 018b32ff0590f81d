"""The example project plugs in through custom_imports and runs with the standard tools, no PYTHONPATH."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'projects/example_project/configs/espcn_x4_builtin.py'


@pytest.mark.slow
def test_example_project_trains_and_tests_with_standard_tools(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '2'
    common = [f'train_dataloader.dataset.cache_dir={tmp_path / "photos"}',
              f'test_dataloader.dataset.cache_dir={tmp_path / "photos"}']
    train = subprocess.run(
        [sys.executable, 'tools/train.py', CONFIG, '--work-dir', str(tmp_path), '--cfg-options',
         'train_cfg.max_iters=4',
         'train_cfg.val_interval=100', 'default_hooks.checkpoint.interval=4', *common],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert train.returncode == 0, train.stderr[-3000:]
    assert (tmp_path / 'iter_4.pth').is_file()
    test = subprocess.run(
        [sys.executable, 'tools/test.py', CONFIG, str(tmp_path / 'iter_4.pth'), '--work-dir', str(tmp_path / 'test'),
         '--cfg-options', *common],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert test.returncode == 0, test.stderr[-3000:]
    assert 'PSNR' in test.stdout + test.stderr
