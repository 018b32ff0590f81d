"""tools/train.py and tools/test.py end to end."""
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The SR literature's bicubic PSNR on Set5 (Y channel, crop border = scale), e.g. Table 1 of SwinIR / HiT-SR.
PUBLISHED_SET5_BICUBIC = {2: 33.66, 3: 30.39, 4: 28.42}


def _run(args, tmp_path, timeout=900):
    env = dict(os.environ, OMP_NUM_THREADS='2')
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _logged_metrics(work_dir: Path) -> dict:
    logs = sorted(glob.glob(str(work_dir / '*' / '*.json')))
    assert logs, f'no metrics json under {work_dir}'
    return json.loads(Path(logs[-1]).read_text().strip().splitlines()[-1])


@pytest.mark.data
@pytest.mark.parametrize('scale', [2, 3, 4])
def test_bicubic_baseline_reproduces_published_set5_psnr(scale, shared_data, tmp_path):
    set5 = shared_data / 'sr' / 'Set5'
    run = _run([
        'tools/test.py', f'configs/bicubic/bicubic_x{scale}_set5.py', '--work-dir', str(tmp_path), '--cfg-options',
        f'test_dataloader.dataset.data_root={set5}'
    ], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = _logged_metrics(tmp_path)
    assert abs(metrics['PSNR'] - PUBLISHED_SET5_BICUBIC[scale]) < 0.05, metrics
    assert 0.7 < metrics['SSIM'] < 0.95


@pytest.mark.slow
def test_train_then_test_with_show_dir_and_dump(tmp_path):
    cache = tmp_path / 'photos'
    work = tmp_path / 'work'
    train = _run([
        'tools/train.py', 'tests/configs/tiny_hit_srf_x2.py', '--work-dir', str(work), '--cfg-options',
        f'train_dataloader.dataset.cache_dir={cache}', 'train_cfg.max_iters=3'
    ], tmp_path)
    assert train.returncode == 0, train.stderr[-3000:]
    checkpoint = (work / 'last_checkpoint').read_text().strip()
    assert checkpoint.endswith('iter_3.pth') and Path(checkpoint).is_file()

    out = tmp_path / 'preds.pkl'
    test = _run([
        'tools/test.py', 'tests/configs/tiny_hit_srf_x2.py', checkpoint, '--work-dir', str(tmp_path / 'test'),
        '--out', str(out),
        '--show-dir', str(tmp_path / 'show'), '--tile', '32', '--tile-overlap', '8', '--cfg-options',
        f'test_dataloader.dataset.cache_dir={cache}'
    ], tmp_path)
    assert test.returncode == 0, test.stderr[-3000:]
    metrics = _logged_metrics(tmp_path / 'test')
    assert metrics['PSNR'] > 10
    assert out.is_file() and len(list((tmp_path / 'show').glob('*.png'))) >= 1


def test_test_tool_rejects_mismatched_weights(tmp_path):
    import torch
    bogus = tmp_path / 'bogus.pth'
    torch.save({'params': {'not_a_layer.weight': torch.zeros(1)}}, bogus)
    run = _run(['tools/test.py', 'configs/hit_sr/hit_srf_x4_div2k.py', str(bogus), '--work-dir', str(tmp_path)],
               tmp_path)
    assert run.returncode != 0
    assert 'unexpected' in run.stderr and 'not_a_layer.weight' in run.stderr


@pytest.mark.parametrize('fmt', ['basicsr', 'safetensors'])
def test_test_tool_takes_released_weight_files_unchanged(fmt, tmp_path):
    """Generator weights as the authors publish them (no ``generator.`` prefix) load strictly through tools/test.py."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from panguvision.registry import MODELS
    init_default_scope('panguvision')
    generator = MODELS.build(Config.fromfile(str(REPO / 'tests/configs/tiny_hit_srf_x2.py')).model.generator)
    state = generator.state_dict()
    if fmt == 'basicsr':
        weights = tmp_path / 'released.pth'
        torch.save({'params': state, 'params_ema': state}, weights)
    else:
        from safetensors.torch import save_file
        weights = tmp_path / 'released.safetensors'
        save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    run = _run(['tools/test.py', 'tests/configs/tiny_hit_srf_x2.py', str(weights), '--work-dir', str(tmp_path / 'w'),
                '--cfg-options', f'test_dataloader.dataset.cache_dir={tmp_path / "photos"}'], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert _logged_metrics(tmp_path / 'w')['PSNR'] > 5
