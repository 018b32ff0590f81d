"""DepthFolderDataset and KittiDepthDataset on layouts written to tmp_path, and the shared UniDepth demo sample."""
import os.path as osp

import numpy as np
import pytest

from panguvision.datasets import DepthFolderDataset, KittiDepthDataset, read_kitti_intrinsics
from panguvision.registry import DATASETS
from panguvision.utils.image_io import write_depth_png, write_image

PIPELINE = [dict(type='LoadDepthInputs'), dict(type='PackDepthInputs')]
K_A = np.array([[100.0, 0.0, 15.5], [0.0, 101.0, 11.5], [0.0, 0.0, 1.0]])
K_B = np.array([[200.0, 0.0, 16.0], [0.0, 202.0, 12.0], [0.0, 0.0, 1.0]])


def _write_sample(root, stem, seed, scale=1000.0, ext='.png'):
    """A 24x32 RGB image and a depth map (metres, some zeros) under root/rgb and root/depth; returns the depth as
    stored (quantised to 1 / scale)."""
    rng = np.random.default_rng(seed)
    write_image(str(root / 'rgb' / f'{stem}{ext}'), rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    depth = rng.uniform(0.5, 9.5, (24, 32)) * (rng.random((24, 32)) > 0.3)
    write_depth_png(str(root / 'depth' / f'{stem}.png'), depth, scale=scale)
    return (np.round(depth * scale) / scale).astype(np.float32)


def test_folder_layout_shared_intrinsics(tmp_path):
    depths = {stem: _write_sample(tmp_path, stem, i, ext=ext) for i, (stem, ext) in enumerate([('a', '.png'),
                                                                                               ('b', '.jpg')])}
    np.save(tmp_path / 'intrinsics.npy', K_A.astype(np.float32))
    dataset = DATASETS.build(dict(type='DepthFolderDataset', data_root=str(tmp_path), pipeline=PIPELINE))
    assert isinstance(dataset, DepthFolderDataset) and len(dataset) == 2
    info = dataset.get_data_info(1)
    assert info['img_id'] == 'b' and info['img_path'] == osp.join(str(tmp_path), 'rgb', 'b.jpg')
    assert info['depth_path'] == osp.join(str(tmp_path), 'depth', 'b.png') and info['depth_scale'] == 1000.0
    np.testing.assert_allclose(info['intrinsics'], K_A.astype(np.float32), rtol=0, atol=0)
    for idx, stem in enumerate('ab'):
        sample = dataset[idx]['data_samples']
        assert sample.img_id == stem
        np.testing.assert_allclose(sample.gt_depth[0].numpy(), depths[stem], atol=1e-6)
        np.testing.assert_allclose(sample.intrinsics, K_A, atol=1e-4)


def test_folder_layout_k_txt_and_fixed_intrinsics(tmp_path):
    _write_sample(tmp_path, 'a', 0)
    np.savetxt(tmp_path / 'K.txt', K_B)
    dataset = DepthFolderDataset(data_root=str(tmp_path))
    np.testing.assert_array_equal(dataset.get_data_info(0)['intrinsics'], K_B)
    dataset = DepthFolderDataset(data_root=str(tmp_path), intrinsics=K_A.tolist())  # overrides the file
    np.testing.assert_array_equal(dataset.get_data_info(0)['intrinsics'], K_A)


def test_folder_layout_per_image_intrinsics_and_missing_partners(tmp_path):
    _write_sample(tmp_path, 'a', 0, scale=256)
    _write_sample(tmp_path, 'b', 1, scale=256)
    (tmp_path / 'intrinsics').mkdir()
    np.save(tmp_path / 'intrinsics' / 'a.npy', K_A)
    np.save(tmp_path / 'intrinsics' / 'b.npy', K_B)
    np.save(tmp_path / 'intrinsics.npy', np.eye(3))  # the per-image folder wins
    dataset = DepthFolderDataset(data_root=str(tmp_path), depth_scale=256)
    np.testing.assert_array_equal(dataset.get_data_info(0)['intrinsics'], K_A)
    np.testing.assert_array_equal(dataset.get_data_info(1)['intrinsics'], K_B)
    assert dataset.get_data_info(1)['depth_scale'] == 256.0

    (tmp_path / 'intrinsics' / 'b.npy').unlink()
    with pytest.raises(FileNotFoundError, match=r"intrinsics/b\.npy.*3x3 intrinsics"):
        DepthFolderDataset(data_root=str(tmp_path))
    np.save(tmp_path / 'intrinsics' / 'b.npy', np.ones((2, 2)))
    with pytest.raises(ValueError, match=r'b\.npy.*3x3'):
        DepthFolderDataset(data_root=str(tmp_path))
    np.save(tmp_path / 'intrinsics' / 'b.npy', K_B)
    (tmp_path / 'depth' / 'a.png').unlink()
    with pytest.raises(FileNotFoundError, match=r"depth/a\.png.*depth PNG partner of .*rgb/a\.png"):
        DepthFolderDataset(data_root=str(tmp_path))


def test_folder_layout_without_intrinsics_says_what_is_expected(tmp_path):
    _write_sample(tmp_path, 'a', 0)
    with pytest.raises(FileNotFoundError, match=r'intrinsics.*K\.txt'):
        DepthFolderDataset(data_root=str(tmp_path))


def test_single_layout(tmp_path):
    root = tmp_path / 'demo'
    write_image(str(root / 'rgb.png'), np.full((6, 8, 3), 9, np.uint8))
    write_depth_png(str(root / 'depth.png'), np.full((6, 8), 2.5), scale=1000)
    with pytest.raises(FileNotFoundError, match=r'intrinsics\.npy'):
        DepthFolderDataset(data_root=str(root), layout='single')
    np.save(root / 'intrinsics.npy', K_A)
    dataset = DepthFolderDataset(data_root=str(root), layout='single', pipeline=PIPELINE)
    assert len(dataset) == 1 and dataset.get_data_info(0)['img_id'] == 'demo'
    sample = dataset[0]['data_samples']
    assert sample.gt_depth.shape == (1, 6, 8) and np.allclose(sample.gt_depth.numpy(), 2.5)


RAW_CALIB = """calib_time: 09-Jan-2012 13:57:47
corner_dist: 9.950000e-02
P_rect_00: 7.215377e+02 0.000000e+00 6.095593e+02 0.000000e+00 0.000000e+00 7.215377e+02 1.728540e+02 0.000000e+00 \
0.000000e+00 0.000000e+00 1.000000e+00 0.000000e+00
P_rect_02: 7.215377e+02 0.000000e+00 6.095593e+02 4.485728e+01 0.000000e+00 7.215377e+02 1.728540e+02 2.163791e-01 \
0.000000e+00 0.000000e+00 1.000000e+00 2.745884e-03
P_rect_03: 7.215377e+02 0.000000e+00 6.095593e+02 -3.395242e+02 0.000000e+00 7.215377e+02 1.728540e+02 \
2.199936e+00 0.000000e+00 0.000000e+00 1.000000e+00 2.729905e-03
"""
K_KITTI = np.array([[721.5377, 0.0, 609.5593], [0.0, 721.5377, 172.854], [0.0, 0.0, 1.0]])


def _kitti_layout(root):
    """KITTI raw + annotated depth + BTS-style split file with one 'None' line; returns the stored depth."""
    drive = '2011_09_26_drive_0002_sync'
    (root / 'raw' / '2011_09_26').mkdir(parents=True)
    (root / 'raw' / '2011_09_26' / 'calib_cam_to_cam.txt').write_text(RAW_CALIB)
    depth = np.zeros((10, 20))
    depth[3, 4], depth[7, 15] = 12.5, 79.99
    for frame in ('0000000069', '0000000070'):
        write_image(str(root / 'raw' / '2011_09_26' / drive / 'image_02' / 'data' / f'{frame}.png'),
                    np.zeros((10, 20, 3), np.uint8))
    write_depth_png(str(root / 'gt' / drive / 'proj_depth' / 'groundtruth' / 'image_02' / '0000000069.png'), depth)
    (root / 'eigen_test.txt').write_text(
        f'2011_09_26/{drive}/image_02/data/0000000069.png {drive}/proj_depth/groundtruth/image_02/0000000069.png '
        '721.5377\n\n'
        f'2011_09_26/{drive}/image_02/data/0000000070.png None 721.5377\n')
    return (np.round(depth * 256) / 256).astype(np.float32)


def test_kitti_split_with_raw_calib(tmp_path):
    depth = _kitti_layout(tmp_path)
    dataset = DATASETS.build(
        dict(type='KittiDepthDataset', data_root=str(tmp_path), ann_file='eigen_test.txt',
             data_prefix=dict(img='raw', depth='gt'), pipeline=PIPELINE))
    assert isinstance(dataset, KittiDepthDataset) and len(dataset) == 1  # the 'None' line is skipped
    info = dataset.get_data_info(0)
    assert info['depth_scale'] == 256.0 and info['focal'] == 721.5377
    assert info['img_id'] == '2011_09_26_2011_09_26_drive_0002_sync_image_02_data_0000000069'
    np.testing.assert_allclose(info['intrinsics'], K_KITTI)
    assert info['intrinsics'][0][0] == info['focal']
    sample = dataset[0]['data_samples']
    np.testing.assert_array_equal(sample.gt_depth[0].numpy(), depth)
    assert sample.gt_depth[0, 3, 4] == 12.5


def test_kitti_split_fixed_intrinsics_and_errors(tmp_path):
    _kitti_layout(tmp_path)
    (tmp_path / 'raw' / '2011_09_26' / 'calib_cam_to_cam.txt').unlink()
    with pytest.raises(FileNotFoundError, match=r'calib_cam_to_cam\.txt.*eigen_test\.txt:1'):
        KittiDepthDataset(data_root=str(tmp_path), ann_file='eigen_test.txt', data_prefix=dict(img='raw', depth='gt'))
    dataset = KittiDepthDataset(data_root=str(tmp_path), ann_file='eigen_test.txt',
                                data_prefix=dict(img='raw', depth='gt'), intrinsics=K_A)
    np.testing.assert_array_equal(dataset.get_data_info(0)['intrinsics'], K_A)
    (tmp_path / 'bad.txt').write_text('a.png b.png\n')
    with pytest.raises(ValueError, match=r'bad\.txt:1: expected'):
        KittiDepthDataset(data_root=str(tmp_path), ann_file='bad.txt', intrinsics=K_A)
    (tmp_path / 'missing.txt').write_text('x/y/z.png d.png 700\n')
    with pytest.raises(FileNotFoundError, match=r'z\.png.*RGB image of .*missing\.txt:1'):
        KittiDepthDataset(data_root=str(tmp_path), ann_file='missing.txt', intrinsics=K_A)


def test_read_kitti_intrinsics_object_calib(tmp_path):
    P = ' '.join(map(str, np.hstack([K_KITTI, [[44.857], [0.2164], [0.00275]]]).ravel()))
    lines = [f'P{i}: {P}' for i in range(4)] + ['R0_rect: 1 0 0 0 1 0 0 0 1', 'Tr_velo_to_cam: ' + ' '.join(['0'] * 12)]
    (tmp_path / '000000.txt').write_text('\n'.join(lines) + '\n')
    np.testing.assert_allclose(read_kitti_intrinsics(str(tmp_path / '000000.txt')), K_KITTI)
    (tmp_path / 'cam_to_cam.txt').write_text(RAW_CALIB)
    assert read_kitti_intrinsics(str(tmp_path / 'cam_to_cam.txt'), cam=3)[0][2] == 609.5593


@pytest.mark.data
def test_unidepth_demo_sample(shared_data):
    root = shared_data / 'depth' / 'unidepth_demo'
    if not (root / 'depth.png').is_file():
        pytest.skip(f'no UniDepth demo sample under {root}')
    dataset = DepthFolderDataset(data_root=str(root), layout='single', depth_scale=1000, pipeline=PIPELINE)
    assert len(dataset) == 1
    packed = dataset[0]
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 480, 640) and sample.gt_depth.shape == (1, 480, 640)
    depth = sample.gt_depth.numpy()
    valid = depth[depth > 0]
    # Indoor NYU-style frame: 68% of the pixels have depth, 1.653 .. 10.0 m (10 m = the sensor cap), mean 3.69 m.
    assert 0.6 < valid.size / depth.size < 0.75
    assert 1.5 < valid.min() < 2.0 and valid.max() <= 10.0 and 3.0 < valid.mean() < 4.5
    # K is NYUv2's colour camera, as stored in intrinsics.npy.
    np.testing.assert_allclose(sample.intrinsics, np.load(root / 'intrinsics.npy'), rtol=0, atol=0)
    np.testing.assert_allclose(np.array(sample.intrinsics)[[0, 1, 0, 1], [0, 1, 2, 2]],
                               [518.8579, 519.4696, 325.58246, 253.73616], atol=1e-3)
