"""demo/depth_demo.py (tiny random UniDepth) on an image, a folder, a video, and the shared real samples; and the
depth colour mapping it uses."""
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = 'demo/depth_demo.py'
CONFIG = REPO_ROOT / 'tests/configs/tiny_unidepth.py'


def _check_outputs(out: Path, stem: str, shape, ply=True):
    import open3d as o3d

    from panguvision.utils.image_io import read_depth_png, read_image
    colour = read_image(str(out / f'{stem}_depth.png'))
    assert colour.shape == (*shape, 3) and colour.std() > 0
    depth = read_depth_png(str(out / f'{stem}_depth16.png'), 1000.0)
    assert depth.shape == shape and (depth > 0).all()
    if ply:
        cloud = o3d.io.read_point_cloud(str(out / f'{stem}.ply'))
        assert len(cloud.points) == shape[0] * shape[1] and cloud.has_colors()
        pts = np.asarray(cloud.points)
        assert np.allclose(np.sort(pts[:, 2]), np.sort(depth.ravel()), atol=2e-3)  # z of the points = depth (mm PNG)


@pytest.mark.slow
def test_image_folder_and_intrinsics(run_tool, tmp_path):
    from panguvision.datasets.synthetic_depth import render_depth_scene
    from panguvision.utils.image_io import write_image
    folder = tmp_path / 'in'
    for i in range(2):
        write_image(str(folder / f'room{i}.png'), render_depth_scene(np.random.default_rng(i), 36, 52)['img'])
    (folder / 'notes.txt').write_text('not an image')
    np.save(tmp_path / 'K.npy', np.array([[40.0, 0, 25.5], [0, 40.0, 17.5], [0, 0, 1]]))
    proc = run_tool(DEMO, folder, CONFIG, '--out', tmp_path / 'out', '--intrinsics', tmp_path / 'K.npy',
                    '--device', 'cpu')
    assert '(given)' in proc.stdout + proc.stderr
    for i in range(2):
        _check_outputs(tmp_path / 'out', f'room{i}', (36, 52))


@pytest.mark.slow
def test_video_side_by_side(run_tool, tmp_path):
    import cv2
    src = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*'mp4v'), 10, (48, 32))
    assert writer.isOpened(), 'cv2 cannot write mp4v here'
    for i in range(3):
        writer.write(np.random.default_rng(i).integers(0, 256, (32, 48, 3), dtype=np.uint8))
    writer.release()
    run_tool(DEMO, src, CONFIG, '--out', tmp_path / 'out')
    cap = cv2.VideoCapture(str(tmp_path / 'out' / 'clip_depth.mp4'))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    assert len(frames) == 3 and frames[0].shape == (32, 2 * 48 + 4, 3)


@pytest.mark.slow
@pytest.mark.data
def test_real_samples_unidepth_demo_and_kitti_frame(run_tool, shared_data, tmp_path):
    from panguvision.datasets import read_kitti_intrinsics
    rgb = shared_data / 'depth' / 'unidepth_demo' / 'rgb.png'
    frame = shared_data / 'kitti' / 'object' / 'training' / 'image_2' / '000000.png'
    calib = shared_data / 'kitti' / 'object' / 'training' / 'calib' / '000000.txt'
    if not (rgb.is_file() and frame.is_file() and calib.is_file()):
        pytest.skip('UniDepth demo image or KITTI frame 000000 absent from the shared data')
    run_tool(DEMO, rgb, CONFIG, '--out', tmp_path / 'demo', '--intrinsics', rgb.parent / 'intrinsics.npy')
    _check_outputs(tmp_path / 'demo', 'rgb', (480, 640))
    np.save(tmp_path / 'K2.npy', np.asarray(read_kitti_intrinsics(str(calib))))
    run_tool(DEMO, frame, CONFIG, '--out', tmp_path / 'kitti', '--intrinsics', tmp_path / 'K2.npy', '--no-ply')
    from panguvision.utils.image_io import read_image
    _check_outputs(tmp_path / 'kitti', '000000', read_image(str(frame)).shape[:2], ply=False)


@pytest.mark.slow
def test_missing_input_is_named(run_tool, tmp_path):
    proc = run_tool(DEMO, tmp_path / 'missing.png', CONFIG, check=False)
    assert proc.returncode != 0 and 'missing.png' in proc.stderr


def test_colorize_depth():
    from panguvision.visualization import colorize_depth
    depth = np.tile(np.linspace(1, 10, 50), (4, 1))
    depth[0, 0] = 0  # no value
    rgb = colorize_depth(depth, value_range=(1, 10))
    assert rgb.shape == (4, 50, 3) and rgb.dtype == np.uint8
    assert (rgb[0, 0] == 0).all() and rgb[1, 0].sum() > 0
    assert not np.array_equal(rgb[1, 1], rgb[1, -1])  # near and far differ
    assert np.array_equal(colorize_depth(depth[None], value_range=(1, 10)), rgb)
    with pytest.raises(ValueError, match='cmap'):
        colorize_depth(depth, cmap='nope')
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        colorize_depth(np.zeros((2, 3, 4)))
