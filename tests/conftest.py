"""Shared pytest fixtures."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT / '..' / 'shared' / 'data'


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """``<repo>/../shared/data`` (the pre-fetched datasets); skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f'shared data folder {SHARED_DATA.resolve()} is absent')
    return SHARED_DATA.resolve()


@pytest.fixture(scope='session')
def load_set5(shared_data):
    """``load_set5(scale) -> [(name, hr, lr), ...]``: Set5 HR mod-cropped to the scale and its MATLAB-made
    ``LR_bicubic/X{scale}`` partner, both ``(H, W, 3)`` uint8 RGB. Skips when Set5 is absent."""
    from panguvision.utils.image_io import read_image
    root = shared_data / 'sr' / 'Set5'
    hr_paths = sorted((root / 'HR').glob('*.png'))
    if not hr_paths:
        pytest.skip(f'no Set5 HR images under {root}')

    def load(scale: int):
        pairs = []
        for hr_path in hr_paths:
            hr = read_image(str(hr_path))
            h, w = hr.shape[:2]
            lr = read_image(str(root / 'LR_bicubic' / f'X{scale}' / f'{hr_path.stem}x{scale}.png'))
            pairs.append((hr_path.stem, np.ascontiguousarray(hr[:h - h % scale, :w - w % scale]), lr))
        return pairs

    return load


def run_script(script: str, *args, cwd=None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``<repo>/script args`` with this interpreter, the repository importable; return the finished process."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get('PYTHONPATH', '')]))
    cmd = [sys.executable, str(REPO_ROOT / script), *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def run_tool():
    """``run_tool(script, *args, cwd=None, check=True)``: a repository script (``tools/...``, ``demo/...``) in a fresh
    interpreter; with ``check`` a non-zero exit fails the test and shows the script's output."""

    def run(script, *args, cwd=None, check=True):
        proc = run_script(script, *args, cwd=cwd)
        if check and proc.returncode != 0:
            pytest.fail(f'{script} exited with {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}')
        return proc

    return run
