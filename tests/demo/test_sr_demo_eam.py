"""demo/sr_demo.py with the tiny random EAM: the config chooses the model, the prompt is printed, --prompt overrides
it (no weights needed: the tiny model is random)."""
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('diffusers', reason='EAM builds on diffusers')

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = 'demo/sr_demo.py'
CONFIG = REPO_ROOT / 'tests/configs/tiny_eam.py'


def _write(tmp_path):
    from panguvision.utils.image_io import write_image
    img = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    write_image(str(tmp_path / 'photo.png'), img)
    return img


def test_eam_prompt_override(run_tool, tmp_path):
    from panguvision.utils.image_io import read_image
    _write(tmp_path)
    proc = run_tool(DEMO, tmp_path / 'photo.png', CONFIG, '--prompt', 'a red brick wall', '--device', 'cpu',
                    cwd=tmp_path)
    assert 'prompt: a red brick wall' in proc.stdout
    assert read_image(str(tmp_path / 'outputs' / 'photo_sr.png')).shape == (48, 40, 3)


@pytest.mark.slow
def test_eam_writes_and_prints_the_subject_prompt(run_tool, tmp_path):
    from panguvision.models.sr.eam import SubjectPrompter
    img = _write(tmp_path)
    proc = run_tool(DEMO, tmp_path / 'photo.png', CONFIG, '--out', tmp_path / 'sr.png', cwd=tmp_path)
    assert f'prompt: {SubjectPrompter()(img)}' in proc.stdout  # the fallback backend is deterministic
    assert (tmp_path / 'sr.png').is_file()


@pytest.mark.slow
def test_prompt_rejected_for_models_without_text(run_tool, tmp_path):
    _write(tmp_path)
    proc = run_tool(DEMO, tmp_path / 'photo.png', REPO_ROOT / 'configs/bicubic/bicubic_x4_set5.py', '--prompt', 'x',
                    cwd=tmp_path, check=False)
    assert proc.returncode != 0 and 'takes no text prompt' in proc.stderr
