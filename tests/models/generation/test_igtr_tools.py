"""The VQ tokenizer and IGTR through tools/train.py and tools/test.py (a few iterations on synthetic shapes)."""
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _run(*args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


def _metrics(work_dir: Path) -> dict:
    logs = sorted(glob.glob(str(work_dir / '*' / '*.json')))
    assert logs, f'no metrics json under {work_dir}'
    return json.loads(Path(logs[-1]).read_text().strip().splitlines()[-1])


@pytest.mark.slow
def test_train_vq_then_igtr_then_test(tmp_path):
    _run('tools/train.py', 'tests/configs/tiny_igtr_vq.py', '--work-dir', tmp_path / 'vq')
    vq_ckpt = (tmp_path / 'vq' / 'last_checkpoint').read_text().strip()
    assert vq_ckpt.endswith('iter_2.pth')
    _run('tools/train.py', 'tests/configs/tiny_igtr.py', '--work-dir', tmp_path / 'gpt', '--cfg-options',
         f'model.tokenizer_ckpt={vq_ckpt}')
    log = next((tmp_path / 'gpt').glob('*/*.log')).read_text()
    assert 'loaded the VQ tokenizer' in log and 'loss_ce' in log and 'loss_prefix' in log
    gpt_ckpt = (tmp_path / 'gpt' / 'last_checkpoint').read_text().strip()
    _run('tools/test.py', 'tests/configs/tiny_igtr.py', gpt_ckpt, '--work-dir', tmp_path / 'test')
    metrics = _metrics(tmp_path / 'test')
    assert metrics['token_nll'] > 0 and 0 <= metrics['consistency'] <= 1 and 0 <= metrics['shape_acc'] <= 1
    # the tokenizer inside the IGTR checkpoint is the trained one, not a fresh random one
    import torch
    vq_state = torch.load(vq_ckpt, map_location='cpu', weights_only=False)['state_dict']
    gpt_state = torch.load(gpt_ckpt, map_location='cpu', weights_only=False)['state_dict']
    key = 'quantizer.embedding.weight'
    assert torch.equal(vq_state[key], gpt_state[f'tokenizer.{key}'])
