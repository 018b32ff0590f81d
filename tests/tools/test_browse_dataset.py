"""tools/analysis_tools/browse_dataset.py: LQ | GT PNGs through the real pipeline (needs mmcv's transforms)."""
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.data
def test_browse_set5(run_tool, tmp_path, shared_data):
    pytest.importorskip('mmcv.transforms', reason='the SR pipeline needs mmcv (being installed?)')
    set5 = shared_data / 'sr' / 'Set5'
    if not (set5 / 'HR').is_dir():
        pytest.skip(f'Set5 is absent under {set5}')
    from panguvision.utils.image_io import read_image
    out_dir = tmp_path / 'browse'
    run_tool('tools/analysis_tools/browse_dataset.py', REPO_ROOT / 'configs/bicubic/bicubic_x4_set5.py', '--split',
             'test', '--output-dir', out_dir, '--max-items', 2, '--not-show', '--cfg-options',
             f'test_dataloader.dataset.data_root={set5}')
    files = sorted(out_dir.glob('*.png'))
    assert len(files) == 2
    drawn = read_image(str(files[0]))
    gt = read_image(str(sorted((set5 / 'HR').glob('*.png'))[0]))
    # LQ (enlarged to the GT size) | 4-pixel gap | GT, GT mod-cropped to a multiple of 4.
    gt_w = gt.shape[1] - gt.shape[1] % 4
    assert drawn.shape[1] == 2 * gt_w + 4 and drawn.shape[0] == gt.shape[0] - gt.shape[0] % 4
