"""Tests of tools/model_converters/hit_sr_to_panguvision.py on randomly initialised weights."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from panguvision.models.sr.hit_sr import HiTSIR

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'model_converters' / 'hit_sr_to_panguvision.py'


def run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture(scope='module')
def weights():
    torch.manual_seed(0)
    return {k: v.clone() for k, v in HiTSIR(upscale=2).state_dict().items()}


def check_output(path, expected):
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert checkpoint['meta']['arch'] == 'hit_sir' and checkpoint['meta']['scale'] == 2
    state = checkpoint['state_dict']
    assert set(state) == {'generator.' + k for k in expected}
    assert all(torch.equal(state['generator.' + k], v) for k, v in expected.items())
    model = HiTSIR(upscale=2)
    model.load_state_dict({k[len('generator.'):]: v for k, v in state.items()}, strict=True)
    assert not [p for p in path.parent.iterdir() if p.name.startswith('.tmp_')]


def test_basicsr_pth(tmp_path, weights):
    src = tmp_path / 'HiT-SIR-2x.pth'
    ema = {k: v + 1 if v.is_floating_point() else v for k, v in weights.items()}
    torch.save({'params': weights, 'params_ema': ema}, src)
    result = run(src, tmp_path / 'out_ema.pth', '--arch', 'hit_sir', '--scale', 2)
    assert result.returncode == 0, result.stderr
    check_output(tmp_path / 'out_ema.pth', ema)
    result = run(src, tmp_path / 'out.pth', '--arch', 'hit_sir', '--scale', 2, '--key', 'params')
    assert result.returncode == 0, result.stderr
    check_output(tmp_path / 'out.pth', weights)


def test_safetensors(tmp_path, weights):
    from safetensors.torch import save_file
    src = tmp_path / 'model.safetensors'
    save_file({k: v.contiguous() for k, v in weights.items()}, str(src))
    result = run(src, tmp_path / 'out.pth', '--arch', 'hit_sir', '--scale', 2)
    assert result.returncode == 0, result.stderr
    check_output(tmp_path / 'out.pth', weights)


def test_mismatch_is_reported(tmp_path, weights):
    src = tmp_path / 'wrong.pth'
    broken = dict(weights)
    broken.pop('conv_first.weight')
    broken['extra.weight'] = torch.zeros(1)
    torch.save({'params': broken}, src)
    result = run(src, tmp_path / 'out.pth', '--arch', 'hit_sir', '--scale', 2)
    assert result.returncode == 1
    assert str(src) in result.stderr and 'conv_first.weight' in result.stderr and 'extra.weight' in result.stderr
    assert not (tmp_path / 'out.pth').exists()
    result = run(src, tmp_path / 'out.pth', '--arch', 'hit_srf', '--scale', 3)  # wrong variant and scale
    assert result.returncode == 1 and 'upsample.0.weight' in result.stderr
