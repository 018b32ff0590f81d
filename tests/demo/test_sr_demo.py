"""demo/sr_demo.py on an image, a folder and a 5-frame mp4 with the bicubic x4 baseline (no weights needed)."""
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = 'demo/sr_demo.py'
CONFIG = REPO_ROOT / 'configs/bicubic/bicubic_x4_set5.py'


def random_rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_image_default_out_and_tiling(run_tool, tmp_path):
    from panguvision.utils.image_io import read_image, write_image
    write_image(str(tmp_path / 'photo.png'), random_rgb(20, 30))
    run_tool(DEMO, tmp_path / 'photo.png', CONFIG, '--tile', 8, '--tile-overlap', 2, '--device', 'cpu', cwd=tmp_path)
    assert read_image(str(tmp_path / 'outputs' / 'photo_sr.png')).shape == (80, 120, 3)


def test_folder_side_by_side(run_tool, tmp_path):
    from panguvision.utils.image_io import read_image, write_image
    for i, (h, w) in enumerate([(12, 16), (9, 14)]):
        write_image(str(tmp_path / 'in' / f'img{i}.jpg'), random_rgb(h, w, i))
    (tmp_path / 'in' / 'notes.txt').write_text('not an image')
    run_tool(DEMO, tmp_path / 'in', CONFIG, '--out', tmp_path / 'sr', '--side-by-side')
    outs = sorted((tmp_path / 'sr').iterdir())
    assert [p.name for p in outs] == ['img0.png', 'img1.png']
    # input (nearest-enlarged) | 4-pixel gap | result
    assert read_image(str(outs[0])).shape == (48, 2 * 64 + 4, 3)
    assert read_image(str(outs[1])).shape == (36, 2 * 56 + 4, 3)


def test_video(run_tool, tmp_path):
    import cv2
    src = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*'mp4v'), 12, (24, 16))
    assert writer.isOpened(), 'cv2 cannot write mp4v here'
    for i in range(5):
        writer.write(random_rgb(16, 24, i))
    writer.release()
    run_tool(DEMO, src, CONFIG, cwd=tmp_path)
    cap = cv2.VideoCapture(str(tmp_path / 'outputs' / 'clip_sr.mp4'))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(12)
    cap.release()
    assert len(frames) == 5 and frames[0].shape == (64, 96, 3)


def test_unreadable_inputs_are_named(run_tool, tmp_path):
    proc = run_tool(DEMO, tmp_path / 'missing.png', CONFIG, check=False)
    assert proc.returncode != 0 and 'missing.png' in proc.stderr
    (tmp_path / 'broken.png').write_bytes(b'not a png')
    proc = run_tool(DEMO, tmp_path / 'broken.png', CONFIG, '--out', tmp_path / 'o.png', check=False)
    assert proc.returncode != 0 and 'broken.png' in proc.stderr and 'not a readable image' in proc.stderr
    (tmp_path / 'broken.mp4').write_bytes(b'not a video')
    proc = run_tool(DEMO, tmp_path / 'broken.mp4', CONFIG, '--out', tmp_path / 'o.mp4', check=False)
    assert proc.returncode != 0 and 'broken.mp4' in proc.stderr


@pytest.mark.data
def test_set5_lr_image(run_tool, tmp_path, shared_data):
    lr = shared_data / 'sr' / 'Set5' / 'LR_bicubic' / 'X4' / 'babyx4.png'
    if not lr.is_file():
        pytest.skip(f'{lr} is absent')
    from panguvision.utils.image_io import read_image
    run_tool(DEMO, lr, CONFIG, '--out', tmp_path / 'baby.png')
    h, w = read_image(str(lr)).shape[:2]
    assert read_image(str(tmp_path / 'baby.png')).shape == (4 * h, 4 * w, 3)
