"""Two CPU processes started by torchrun (tools/dist_train.sh, gloo) train one model: both ranks end identical."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_process_cpu_training_ends_with_identical_weights(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent), OMP_NUM_THREADS='1',
               PORT=str(_free_port()), PYTHON=sys.executable)
    work_dir = tmp_path / 'work'
    cmd = ['bash', str(REPO / 'tools' / 'dist_train.sh'), str(REPO / 'tests' / 'configs' / 'tiny_hit_srf_x2_dist.py'),
           '2', '--work-dir', str(work_dir), '--cfg-options', f'train_dataloader.dataset.cache_dir={tmp_path / "ph"}']
    run = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    log = run.stdout + run.stderr

    assert 'Distributed training: True' in log and 'GPU number: 2' in log

    def load(name):
        return torch.load(work_dir / name, map_location='cpu', weights_only=True)

    rank0, rank1, initial = load('final_rank0.pth'), load('final_rank1.pth'), load('initial_rank0.pth')
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), f'{key} differs between ranks'
    assert any(not torch.equal(initial[k], rank0[k]) for k in rank0 if rank0[k].is_floating_point())
