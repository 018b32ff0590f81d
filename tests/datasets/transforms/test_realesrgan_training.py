"""Real-world SR end to end: tools/train.py on Real-ESRGAN-degraded built-in photographs, then tools/test.py with
PSNR / SSIM / NIQE (tests/configs/tiny_realsr_hit_srf_x2.py)."""
import glob
import json
from pathlib import Path

import numpy as np
import pytest

from panguvision.datasets.sr_dataset import _skimage_photo
from panguvision.evaluation.functional.niqe import fit_niqe_model

CONFIG = 'tests/configs/tiny_realsr_hit_srf_x2.py'


def _logged_metrics(work_dir: Path) -> dict:
    logs = sorted(glob.glob(str(work_dir / '*' / '*.json')))
    assert logs, f'no metrics json under {work_dir}'
    return json.loads(Path(logs[-1]).read_text().strip().splitlines()[-1])


@pytest.mark.slow
def test_train_and_test_with_realesrgan_degradation(tmp_path, run_tool):
    # A pristine NIQE model fitted here, so the test needs no download and no basicsr.
    mu, cov = fit_niqe_model(_skimage_photo(name) for name in ('astronaut', 'camera'))
    params = tmp_path / 'niqe.npz'
    np.savez(params, mu_pris_param=mu, cov_pris_param=cov)
    cache, work = tmp_path / 'photos', tmp_path / 'work'
    run_tool('tools/train.py', CONFIG, '--work-dir', work, '--cfg-options',
             f'train_dataloader.dataset.dataset.cache_dir={cache}')
    checkpoint = (work / 'last_checkpoint').read_text().strip()
    assert checkpoint.endswith('iter_3.pth') and Path(checkpoint).is_file()
    run_tool('tools/test.py', CONFIG, checkpoint, '--work-dir', tmp_path / 'test', '--cfg-options',
             f'test_dataloader.dataset.dataset.cache_dir={cache}', f'test_evaluator.2.params_file={params}')
    metrics = _logged_metrics(tmp_path / 'test')
    assert 5 < metrics['PSNR'] < 50 and 0 < metrics['SSIM'] <= 1
    assert np.isfinite(metrics['NIQE']) and metrics['NIQE'] > 0
