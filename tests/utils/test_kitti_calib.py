"""KITTI calibration parsing, Velodyne reading and the LiDAR -> image projection on hand-placed points."""
import numpy as np
import pytest

from panguvision.utils.kitti_calib import (parse_kitti_calib, project_velodyne_to_image, read_velodyne_bin,
                                           sparse_depth_map)

# Velodyne (x forward, y left, z up) -> camera (x right, y down, z forward), then a translation (0.1, 0.2, -0.5) m.
TR_VELO_TO_CAM = [[0, -1, 0, 0.1], [0, 0, -1, 0.2], [1, 0, 0, -0.5]]
# f = 700 px, principal point (600, 180), and P2's x offset 70 px (f * 0.1 m), as in KITTI's stereo rig.
P2 = [[700, 0, 600, 70], [0, 700, 180, 0], [0, 0, 1, 0]]
IMAGE_SHAPE = (375, 1242)


def _line(key, matrix):
    return f'{key}: ' + ' '.join(f'{v:.12e}' for v in np.ravel(matrix))


def write_calib(path, r0_rect=np.eye(3), extra_lines=()):
    lines = [_line('P0', np.eye(3, 4)), _line('P1', np.eye(3, 4)), _line('P2', P2), _line('P3', np.eye(3, 4)),
             _line('R0_rect', r0_rect), _line('Tr_velo_to_cam', TR_VELO_TO_CAM),
             _line('Tr_imu_to_velo', np.eye(3, 4)), *extra_lines]
    path.write_text('\n'.join(lines) + '\n\n')
    return path


def test_parse(tmp_path):
    calib = parse_kitti_calib(write_calib(tmp_path / '000000.txt'))
    np.testing.assert_array_equal(calib.P2, P2)
    np.testing.assert_array_equal(calib.Tr_velo_to_cam, TR_VELO_TO_CAM)
    assert calib.R0_rect.shape == (3, 3) and calib.Tr_imu_to_velo.shape == (3, 4)
    assert calib.path == str(tmp_path / '000000.txt')


def test_projection_of_a_hand_placed_point(tmp_path):
    calib = parse_kitti_calib(write_calib(tmp_path / 'calib.txt'))
    # velo (10.5, 1.1, 0.2) -> camera (-1.1 + 0.1, -0.2 + 0.2, 10.5 - 0.5) = (-1, 0, 10);
    # u = (700 * -1 + 600 * 10 + 70) / 10 = 537, v = (700 * 0 + 180 * 10) / 10 = 180, depth 10 m.
    points = np.array([[10.5, 1.1, 0.2],
                       [-10.0, 0.0, 0.0],  # behind the camera
                       [1.0, -5.0, 0.0]])  # in front, but u = (700 * 5.1 + 600 * 0.5 + 70) / 0.5 = 7880 px: outside
    uv, depth = project_velodyne_to_image(points, calib, IMAGE_SHAPE)
    np.testing.assert_allclose(uv, [[537.0, 180.0]], atol=1e-9)
    np.testing.assert_allclose(depth, [10.0], atol=1e-12)


def test_rectification_is_applied_after_velo_to_cam(tmp_path):
    # R0_rect swapping camera x and y: rectified (0, -1, 10)
    # -> u = (700 * 0 + 600 * 10 + 70) / 10 = 607, v = (700 * -1 + 180 * 10) / 10 = 110.
    swap = [[0, 1, 0], [1, 0, 0], [0, 0, 1]]
    calib = parse_kitti_calib(write_calib(tmp_path / 'calib.txt', r0_rect=swap))
    uv, depth = project_velodyne_to_image(np.array([[10.5, 1.1, 0.2, 0.7]]), calib, IMAGE_SHAPE)
    np.testing.assert_allclose(uv, [[607.0, 110.0]], atol=1e-9)
    np.testing.assert_allclose(depth, [10.0])


@pytest.mark.parametrize('bad_line, message', [
    ('P2: 1 2 three 4', 'non-numeric'),
    ('R0_rect: 1 0 0 0 1 0 0 0', 'needs 9 values'),
    ('this line is garbage', 'expected "KEY'),
    ('P2: 1 0 0 0 0 1 0 0 0 0 1 nan', 'non-finite'),
])
def test_malformed_line_names_file_and_line(tmp_path, bad_line, message):
    path = write_calib(tmp_path / 'bad.txt')
    lines = path.read_text().splitlines()
    lines.insert(2, bad_line)  # becomes line 3
    path.write_text('\n'.join(lines))
    with pytest.raises(ValueError, match=message) as err:
        parse_kitti_calib(path)
    assert f'{path}:3:' in str(err.value)


def test_missing_and_duplicate_keys(tmp_path):
    path = tmp_path / 'short.txt'
    path.write_text(_line('P2', P2) + '\n')
    with pytest.raises(ValueError, match='missing calibration matrices') as err:
        parse_kitti_calib(path)
    assert str(path) in str(err.value) and 'Tr_velo_to_cam' in str(err.value)
    path = write_calib(tmp_path / 'dup.txt', extra_lines=[_line('P2', P2)])
    with pytest.raises(ValueError, match=r'dup.txt:8: P2 is given twice'):
        parse_kitti_calib(path)
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        parse_kitti_calib(tmp_path / 'nope.txt')


def test_velodyne_reader_and_zbuffer(tmp_path):
    scan = np.arange(8, dtype=np.float32).reshape(2, 4)
    scan.tofile(tmp_path / 'scan.bin')
    np.testing.assert_array_equal(read_velodyne_bin(tmp_path / 'scan.bin'), scan)
    (tmp_path / 'cut.bin').write_bytes(scan.tobytes()[:-4])
    with pytest.raises(ValueError, match='cut.bin'):
        read_velodyne_bin(tmp_path / 'cut.bin')
    # Three points in pixel (row 1, col 2) at 7, 3 and 5 m: the nearest, 3 m, wins; (2.4, 0.6) rounds to (1, 2).
    uv = np.array([[2.0, 1.0], [2.4, 0.6], [1.6, 1.4], [0.0, 0.0], [9.0, 9.0]])
    depth = np.array([7.0, 3.0, 5.0, 2.0, 1.0])
    expected = np.zeros((3, 4))
    expected[1, 2] = 3.0
    expected[0, 0] = 2.0
    np.testing.assert_array_equal(sparse_depth_map(uv, depth, (3, 4)), expected)


def test_odometry_calib_uses_tr_without_rectification(tmp_path):
    """SemanticKITTI / odometry ``calib.txt``: ``Tr`` maps Velodyne straight to rectified camera 0."""
    K = np.array([[700.0, 0, 600], [0, 700, 180], [0, 0, 1]])
    P2 = np.hstack([K, K @ np.array([[0.06], [0.0], [0.0]])])  # camera 2 sits 6 cm from camera 0
    tr = np.array([[0.0, -1, 0, 0.1], [0, 0, -1, -0.2], [1, 0, 0, -0.3]])  # x forward -> z forward
    lines = [_line(f'P{i}', P2 if i == 2 else np.hstack([K, np.zeros((3, 1))])) for i in range(4)]
    path = tmp_path / 'calib.txt'
    path.write_text('\n'.join(lines + [_line('Tr', tr)]) + '\n')
    calib = parse_kitti_calib(path)
    np.testing.assert_array_equal(calib.R0_rect, np.eye(3))
    np.testing.assert_array_equal(calib.Tr_velo_to_cam, tr)
    np.testing.assert_allclose(calib.camera_intrinsics(2), K)
    point = np.array([10.0, 1.0, 0.5, 1.0])  # 10 m ahead, 1 m left, 0.5 m up
    cam = calib.velo_to_camera(2) @ point
    # camera 0 coordinates of the point, then camera 2's 6 cm baseline
    np.testing.assert_allclose(cam[:3], [-1.0 + 0.1 + 0.06, -0.5 - 0.2, 10.0 - 0.3])
    uvz = calib.velo_to_image(2) @ point
    np.testing.assert_allclose(K @ cam[:3], uvz, rtol=1e-12)
