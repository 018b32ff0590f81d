"""tools/dataset_converters/kitti_lidar_to_depth.py on a synthetic KITTI layout and on the real sample frames."""
import cv2
import numpy as np
import pytest

from panguvision.utils.image_io import read_depth_png, write_image

SCRIPT = 'tools/dataset_converters/kitti_lidar_to_depth.py'
H, W = 20, 30


def _line(key, matrix):
    return f'{key}: ' + ' '.join(f'{v:.12e}' for v in np.ravel(matrix))


def make_kitti(root, points):
    """``root/training/{velodyne,calib,image_2}/000000.*``: f = 10 px, principal point (15, 10), R0_rect = I and the
    pure axis change Velodyne (x fwd, y left, z up) -> camera (x right, y down, z fwd): cam = (-y, -z, x)."""
    split = root / 'training'
    for sub in ('velodyne', 'calib', 'image_2'):
        (split / sub).mkdir(parents=True)
    np.asarray(points, np.float32).tofile(split / 'velodyne' / '000000.bin')
    p2 = [[10, 0, 15, 0], [0, 10, 10, 0], [0, 0, 1, 0]]
    lines = [_line(f'P{i}', p2) for i in range(4)]
    lines += [_line('R0_rect', np.eye(3)), _line('Tr_velo_to_cam', [[0, -1, 0, 0], [0, 0, -1, 0], [1, 0, 0, 0]])]
    (split / 'calib' / '000000.txt').write_text('\n'.join(lines) + '\n')
    write_image(str(split / 'image_2' / '000000.png'), np.zeros((H, W, 3), np.uint8))


def test_synthetic_points_and_zbuffer(tmp_path, run_tool):
    points = [
        [5.0, 0.0, 0.0, 0.1],  # cam (0, 0, 5): pixel (row 10, col 15) at 5 m ...
        [2.0, 0.0, 0.0, 0.1],  # ... and at 2 m in the same pixel: the nearer one wins -> 2 * 256 = 512
        [7.0, 0.0, 0.0, 0.1],  # a third, farther one there
        [10.5, -2.1, 0.0, 0.1],  # cam (2.1, 0, 10.5): u = (21 + 157.5) / 10.5 = 17, v = 10 -> 10.5 * 256 = 2688
        [4.0, 0.8, 0.4, 0.1],  # cam (-0.8, -0.4, 4): u = (-8 + 60) / 4 = 13, v = (-4 + 40) / 4 = 9 -> 1024
        [-5.0, 0.0, 0.0, 0.1],  # behind the camera
        [1.0, -5.0, 0.0, 0.1],  # u = (50 + 15) / 1 = 65: right of the image
        [100.0, -10.0, 0.0, 0.1],  # u = 16, v = 10 but 100 m > --max-depth 80
    ]
    make_kitti(tmp_path / 'kitti', points)
    out = tmp_path / 'out' / 'depth_2'
    proc = run_tool(SCRIPT, '--kitti-root', tmp_path / 'kitti', '--out', out)
    assert 'wrote 1 depth maps' in proc.stdout
    raw = cv2.imread(str(out / '000000.png'), cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16 and raw.shape == (H, W)
    expected = np.zeros((H, W), np.uint16)
    expected[10, 15] = 512
    expected[10, 17] = 2688
    expected[9, 13] = 1024
    np.testing.assert_array_equal(raw, expected)
    np.testing.assert_array_equal(read_depth_png(str(out / '000000.png')), expected / 256.0)
    assert sorted(p.name for p in out.iterdir()) == ['000000.png']  # no temporary file left behind


def test_missing_inputs_fail_clearly(tmp_path, run_tool):
    proc = run_tool(SCRIPT, '--kitti-root', tmp_path, '--out', tmp_path / 'out', check=False)
    assert proc.returncode == 1 and 'velodyne' in proc.stderr
    make_kitti(tmp_path / 'kitti', [[5.0, 0.0, 0.0, 0.0]])
    (tmp_path / 'kitti' / 'training' / 'calib' / '000000.txt').unlink()
    proc = run_tool(SCRIPT, '--kitti-root', tmp_path / 'kitti', '--out', tmp_path / 'out', check=False)
    assert proc.returncode == 1 and '000000.txt' in proc.stderr


@pytest.mark.data
def test_real_kitti_frames(shared_data, tmp_path, run_tool):
    root = shared_data / 'kitti'
    if not (root / 'object' / 'training' / 'velodyne').is_dir():
        pytest.skip(f'no KITTI object frames under {root}')
    proc = run_tool(SCRIPT, '--kitti-root', root, '--out', tmp_path)
    pngs = sorted(tmp_path.glob('*.png'))
    assert pngs, proc.stdout
    densities = []
    for png in pngs:
        depth = read_depth_png(str(png))
        valid = depth > 0
        rows = np.nonzero(valid)[0]
        # Measured on frames 000000-000002: 20209 / 18600 / 20164 valid pixels (4.46 / 3.99 / 4.33 %), depths
        # 4.2-79.2 m, 74-87 % of them in the lower half of the image.
        assert valid.sum() > 5000, png.name
        assert depth[valid].min() > 0 and depth[valid].max() <= 80.0
        assert (rows >= depth.shape[0] / 2).mean() > 0.6, png.name
        assert rows.min() > depth.shape[0] / 5, png.name  # a 64-beam HDL-64E sees nothing near the top rows
        densities.append(valid.mean())
    assert all(0.03 < d < 0.07 for d in densities), densities
    assert 0.04 < np.mean(densities) < 0.06, densities
