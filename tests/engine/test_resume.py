"""Training killed (SIGKILL) after a checkpoint and resumed with --resume ends bit-identical to an uninterrupted
run, through the real tools/train.py."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from panguvision.utils import torch_load_safe

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'tests' / 'configs'
HOOKS_DIR = Path(__file__).resolve().parent


def _train(config: str, work_dir: Path, cache_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(HOOKS_DIR), OMP_NUM_THREADS='1')
    cmd = [
        sys.executable, str(REPO / 'tools' / 'train.py'), str(CONFIGS / config), '--work-dir', str(work_dir), *extra,
        '--cfg-options', f'train_dataloader.dataset.cache_dir={cache_dir}'
    ]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def _weights(path: Path) -> dict:
    return torch_load_safe(path)['state_dict']


def _kill_and_resume(tmp_path: Path, kill_config: str):
    cache = tmp_path / 'photos'
    straight = _train('tiny_hit_srf_x2.py', tmp_path / 'straight', cache)
    assert straight.returncode == 0, straight.stderr[-3000:]
    killed_dir = tmp_path / 'killed'
    killed = _train(kill_config, killed_dir, cache)
    assert killed.returncode == -9, f'expected SIGKILL, got {killed.returncode}: {killed.stderr[-2000:]}'
    assert (killed_dir / 'iter_3.pth').is_file() and not (killed_dir / 'iter_6.pth').exists()
    resumed = _train('tiny_hit_srf_x2.py', killed_dir, cache, '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    return _weights(tmp_path / 'straight' / 'iter_6.pth'), _weights(killed_dir / 'iter_6.pth'), resumed, killed_dir


@pytest.mark.slow
def test_killed_and_resumed_training_is_bit_identical(tmp_path):
    straight, resumed, run, killed_dir = _kill_and_resume(tmp_path, 'tiny_hit_srf_x2_kill_at_5.py')
    assert 'resumed epoch: 0, iter: 3' in run.stdout + run.stderr
    assert straight.keys() == resumed.keys()
    for key in straight:
        assert torch.equal(straight[key], resumed[key]), f'{key} differs after resume'
    # The run really trained: the weights moved after the checkpoint it resumed from.
    start = _weights(killed_dir / 'iter_3.pth')
    assert any(not torch.equal(start[k], straight[k]) for k in straight if straight[k].is_floating_point())


@pytest.mark.slow
def test_resume_without_rng_state_diverges(tmp_path):
    """The control: without the saved RNG states the resumed run differs, so the test above can fail."""
    straight, resumed, run, _ = _kill_and_resume(tmp_path, 'tiny_hit_srf_x2_kill_at_5_no_rng.py')
    assert 'holds no RNG state' in run.stdout + run.stderr
    assert any(not torch.equal(straight[k], resumed[k]) for k in straight)
