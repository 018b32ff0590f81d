"""The tiny EAM config through the real tools: tools/train.py (progressive masking logged per iteration) and
tools/test.py (PSNR/SSIM of the sampled images)."""
import re
from pathlib import Path

import pytest

pytest.importorskip('diffusers', reason='EAM builds on diffusers')

CONFIG = Path(__file__).resolve().parents[2] / 'configs' / 'tiny_eam.py'


@pytest.mark.slow
def test_train_then_test(run_tool, tmp_path):
    work = tmp_path / 'work'
    run_tool('tools/train.py', CONFIG, '--work-dir', work, cwd=tmp_path)
    log = next(work.rglob('*.log')).read_text()
    ratios = [float(r) for r in re.findall(r'mask_ratio: ([0-9.]+)', log)]
    assert len(ratios) == 4 and ratios[0] == pytest.approx(0.95) and ratios == sorted(ratios, reverse=True)
    assert (work / 'iter_4.pth').is_file()
    proc = run_tool('tools/test.py', CONFIG, work / 'iter_4.pth', '--work-dir', work, cwd=tmp_path)
    psnr = re.findall(r'PSNR: ([0-9.]+)', proc.stdout + proc.stderr)
    assert psnr and 5 < float(psnr[-1]) < 60


@pytest.mark.slow
def test_fsdp_two_cpu_processes(tmp_path):
    """FlexibleRunner + FSDPStrategy (Psi-DiT as one FSDP unit, activation checkpointing of its blocks, full state
    dict) on 2 gloo processes."""
    import os
    import subprocess
    import sys
    root = Path(__file__).resolve().parents[3]
    env = dict(os.environ, OMP_NUM_THREADS='1', PORT='29763', PYTHON=sys.executable)
    proc = subprocess.run(['bash', str(root / 'tools/dist_train.sh'), str(CONFIG.parent / 'tiny_eam_fsdp.py'), '2',
                           '--work-dir', str(tmp_path / 'work')], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = next((tmp_path / 'work').rglob('*.log')).read_text()
    assert "runner_type = 'FlexibleRunner'" in log and 'Iter(train) [4/4]' in log
    # state_dict_cfg='full': one file that loads strictly into the plain (unwrapped) model, with trained LR merges.
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from panguvision.registry import MODELS
    from panguvision.utils.checkpoint import torch_load_safe
    init_default_scope('panguvision')
    model = MODELS.build(Config.fromfile(str(CONFIG)).model)
    state = torch_load_safe(str(tmp_path / 'work' / 'iter_4.pth'))['state_dict']
    model.load_state_dict(state, strict=True)
    assert model.generator.lr_streams[0].merge.weight.abs().sum() > 0
