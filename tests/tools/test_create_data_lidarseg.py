"""tools/create_data.py: SemanticKITTI / ScribbleKITTI / nuScenes-lidarseg infos, semi-supervised splits, and the
datasets reading them through mmdet3d's pipeline."""
import importlib.util
import json
import os.path as osp
import shutil
from pathlib import Path

import mmengine
import numpy as np
import pytest

from panguvision.utils.image_io import write_image

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location('create_data', REPO / 'tools' / 'create_data.py')
create_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(create_data)  # in-process: the tool's main() without a fresh interpreter per call

K = np.array([[700.0, 0, 600], [0, 700, 180], [0, 0, 1]])
TR = np.array([[0.0, -1, 0, 0.0], [0, 0, -1, -0.1], [1, 0, 0, -0.3]])  # Velodyne x forward -> camera z forward


def _line(key, matrix):
    return f'{key}: ' + ' '.join(f'{v:.12e}' for v in np.ravel(matrix))


def make_semantickitti(root, sequences=('00', '08'), frames=3, folder='labels', camera=True):
    """A SemanticKITTI folder: random scans and raw labels (car 10, road 40, moving-car 252, outlier 1)."""
    rng = np.random.default_rng(0)
    for seq in sequences:
        for sub in ('velodyne', folder) + (('image_2', ) if camera else ()):
            (root / 'sequences' / seq / sub).mkdir(parents=True, exist_ok=True)
        if camera:
            P2 = np.hstack([K, K @ np.array([[0.06], [0], [0]])])
            lines = [_line(f'P{i}', P2 if i == 2 else np.hstack([K, np.zeros((3, 1))])) for i in range(4)]
            (root / 'sequences' / seq / 'calib.txt').write_text('\n'.join(lines + [_line('Tr', TR)]) + '\n')
        for i in range(frames):
            rng.random((20, 4)).astype(np.float32).tofile(root / 'sequences' / seq / 'velodyne' / f'{i:06d}.bin')
            raw = np.array([10, 40, 252, 1] * 5, np.uint32) | (np.arange(20, dtype=np.uint32) << 16)  # + instance
            raw.tofile(root / 'sequences' / seq / folder / f'{i:06d}.label')
            if camera:
                write_image(str(root / 'sequences' / seq / 'image_2' / f'{i:06d}.png'), np.zeros((8, 8, 3), np.uint8))


def test_semantickitti_infos_with_camera(tmp_path, run_tool):
    make_semantickitti(tmp_path)
    create_data.main(list(map(str, ['semantickitti', '--root-path', tmp_path])))
    train = mmengine.load(tmp_path / 'semantickitti_infos_train.pkl')
    val = mmengine.load(tmp_path / 'semantickitti_infos_val.pkl')
    assert not osp.exists(tmp_path / 'semantickitti_infos_test.pkl')  # no test sequence on disk
    assert [d['sample_idx'] for d in train['data_list']] == ['00_000000', '00_000001', '00_000002']
    assert len(val['data_list']) == 3 and val['metainfo']['sequences'] == ['08']
    info = train['data_list'][1]
    assert info['lidar_points']['lidar_path'] == 'sequences/00/velodyne/000001.bin'
    assert info['pts_semantic_mask_path'] == 'sequences/00/labels/000001.label'
    cam = info['images']['CAM2']
    assert cam['img_path'] == 'sequences/00/image_2/000001.png'
    # a point 10 m ahead, 1 m left lands where K projects it in camera 2 (6 cm baseline, 0.1 m / 0.3 m offsets)
    point = np.array([10.0, 1.0, 0.0, 1.0])
    uvz = np.array(cam['lidar2img']) @ point
    expected_cam = np.array([-1.0 + 0.06, -0.1, 10.0 - 0.3])
    np.testing.assert_allclose(uvz[:3], K @ expected_cam, atol=1e-9)
    np.testing.assert_allclose(np.array(cam['lidar2cam'])[:3] @ point, expected_cam, atol=1e-12)


def test_scribblekitti_and_lidar_only(tmp_path, run_tool):
    make_semantickitti(tmp_path, sequences=('00', ), folder='scribbles', camera=False)
    create_data.main(list(map(str, ['semantickitti', '--root-path', tmp_path, '--label-folder', 'scribbles',
                                    '--prefix', 'scribblekitti'])))
    info = mmengine.load(tmp_path / 'scribblekitti_infos_train.pkl')['data_list'][0]
    assert info['pts_semantic_mask_path'] == 'sequences/00/scribbles/000000.label'
    assert 'images' not in info


def test_missing_root_names_the_folder(tmp_path, run_tool):
    proc = run_tool('tools/create_data.py', 'semantickitti', '--root-path', tmp_path / 'nope', check=False)

    assert proc.returncode != 0 and 'nope/sequences' in proc.stderr


@pytest.mark.parametrize('ratio,count', [(0.01, 1), (0.1, 3), (0.5, 15)])
def test_semi_split_uniform(tmp_path, run_tool, ratio, count):
    data = dict(metainfo=dict(DATASET='x'),
                data_list=[dict(sample_idx=i, pts_semantic_mask_path=f'{i}.label') for i in range(30)])
    mmengine.dump(data, tmp_path / 'infos.pkl')
    create_data.main(list(map(str, ['semi-split', tmp_path / 'infos.pkl', '--ratio', ratio])))
    pct = f'{100 * ratio:g}pct'
    labelled = mmengine.load(tmp_path / f'infos.{pct}.labelled.pkl')
    unlabelled = mmengine.load(tmp_path / f'infos.{pct}.unlabelled.pkl')
    ids = [d['sample_idx'] for d in labelled['data_list']]
    assert len(ids) == count and labelled['metainfo']['labelled_ratio'] == ratio
    assert sorted(ids + [d['sample_idx'] for d in unlabelled['data_list']]) == list(range(30))
    assert all('pts_semantic_mask_path' not in d for d in unlabelled['data_list'])
    if count > 1:  # evenly spaced over the sequence
        assert len(set(np.diff(ids))) == 1


def test_semantickitti_through_mmdet3d_pipeline(tmp_path, run_tool):
    from mmdet3d.datasets import SemanticKittiDataset
    make_semantickitti(tmp_path, sequences=('00', ))
    create_data.main(list(map(str, ['semantickitti', '--root-path', tmp_path])))
    cfg = mmengine.Config.fromfile(REPO / 'configs' / '_base_' / 'datasets' / 'semantickitti_seg.py')
    dataset = SemanticKittiDataset(
        data_root=str(tmp_path), ann_file='semantickitti_infos_train.pkl', metainfo=cfg.metainfo,
        data_prefix=dict(pts='', img='', pts_semantic_mask=''), modality=dict(use_lidar=True, use_camera=True),
        pipeline=[dict(type='mmdet3d.LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4),
                  dict(type='mmdet3d.LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False, with_seg_3d=True,
                       seg_3d_dtype='np.int32', seg_offset=2**16, dataset_type='semantickitti'),
                  dict(type='mmdet3d.PointSegClassMapping')])
    sample = dataset[0]
    # raw 10 car -> 0, 40 road -> 8, 252 moving-car -> 0, 1 outlier -> 19 (ignored)
    np.testing.assert_array_equal(sample['pts_semantic_mask'][:4], [0, 8, 0, 19])
    assert sample['images']['CAM2']['img_path'] == str(tmp_path / 'sequences/00/image_2/000000.png')


# ----------------------------------------------------------------------------------------------- nuScenes-lidarseg
def _token(name, i):
    return f'{name}{i:029d}'


def make_nuscenes(root, version='v1.0-mini'):
    """A two-scene nuScenes database with lidarseg (scene-0061: mini_train, scene-0103: mini_val), 2 keyframes each,
    written with the table fields nuscenes-devkit reads."""
    from panguvision.datasets.nuscenes_lidarseg_dataset import NUSCENES_LIDARSEG_FINE_CLASSES
    tables = {name: [] for name in ('attribute', 'visibility', 'instance', 'sample_annotation', 'lidarseg')}
    tables['category'] = [dict(token=_token('cat', i), name=n, description='', index=i)
                          for i, n in enumerate(NUSCENES_LIDARSEG_FINE_CLASSES)]
    tables['sensor'] = [dict(token=_token('sen', 0), channel='LIDAR_TOP', modality='lidar'),
                        dict(token=_token('sen', 1), channel='CAM_FRONT', modality='camera')]
    ident = dict(rotation=[1.0, 0, 0, 0], translation=[0.0, 0, 0])
    tables['calibrated_sensor'] = [
        dict(token=_token('cs', 0), sensor_token=_token('sen', 0), camera_intrinsic=[], **ident),
        # camera looks along the ego x axis: camera axes (x right, y down, z forward) = ego (-y, -z, x)
        dict(token=_token('cs', 1), sensor_token=_token('sen', 1), camera_intrinsic=K.tolist(),
             rotation=[0.5, -0.5, 0.5, -0.5], translation=[1.0, 0.0, 1.5])]
    tables['log'] = [dict(token=_token('log', 0), logfile='', vehicle='', date_captured='', location='x')]
    (root / 'maps').mkdir(parents=True)
    (root / 'maps' / 'm.png').write_bytes(b'')
    tables['map'] = [dict(token=_token('map', 0), log_tokens=[_token('log', 0)], category='', filename='maps/m.png')]
    tables['scene'], tables['sample'], tables['sample_data'], tables['ego_pose'] = [], [], [], []
    (root / 'lidarseg' / version).mkdir(parents=True)
    (root / 'samples' / 'LIDAR_TOP').mkdir(parents=True)
    n = 0
    for s, scene_name in enumerate(['scene-0061', 'scene-0103']):
        samples = [_token('smp', 10 * s + i) for i in range(2)]
        tables['scene'].append(dict(token=_token('scn', s), name=scene_name, log_token=_token('log', 0), nbr_samples=2,
                                    first_sample_token=samples[0], last_sample_token=samples[1], description=''))
        for i, tok in enumerate(samples):
            tables['sample'].append(dict(token=tok, timestamp=n, scene_token=_token('scn', s),
                                         prev=samples[i - 1] if i else '', next=samples[i + 1] if i == 0 else ''))
            for c, channel in enumerate(('LIDAR_TOP', 'CAM_FRONT')):
                sd = _token('sd', 2 * n + c)
                tables['ego_pose'].append(dict(token=sd, timestamp=n, rotation=[1.0, 0, 0, 0],
                                               translation=[float(c), 0.0, 0.0]))  # ego moved 1 m at camera time
                filename = f'samples/{channel}/{sd}.' + ('pcd.bin' if c == 0 else 'jpg')
                tables['sample_data'].append(dict(
                    token=sd, sample_token=tok, ego_pose_token=sd, calibrated_sensor_token=_token('cs', c),
                    timestamp=n, fileformat='pcd' if c == 0 else 'jpg', is_key_frame=True, height=0, width=0,
                    filename=filename, prev='', next=''))
                if c == 0:
                    np.zeros((4, 5), np.float32).tofile(root / filename)
                    label = f'lidarseg/{version}/{sd}_lidarseg.bin'
                    # fine: car 17, adult 2, noise 0, vegetation 30
                    np.array([17, 2, 0, 30], np.uint8).tofile(root / label)
                    tables['lidarseg'].append(dict(token=_token('ls', n), sample_data_token=sd, filename=label))
            n += 1
    (root / version).mkdir()
    for name, rows in tables.items():
        (root / version / f'{name}.json').write_text(json.dumps(rows))


def test_nuscenes_lidarseg_infos_and_dataset(tmp_path, run_tool):
    pytest.importorskip('nuscenes')
    make_nuscenes(tmp_path)
    create_data.main(list(map(str, ['nuscenes-lidarseg', '--root-path', tmp_path, '--version', 'v1.0-mini'])))
    train = mmengine.load(tmp_path / 'nuscenes_lidarseg_infos_train.pkl')['data_list']
    val = mmengine.load(tmp_path / 'nuscenes_lidarseg_infos_val.pkl')['data_list']
    assert len(train) == 2 and len(val) == 2
    cam = train[0]['images']['CAM_FRONT']
    # LiDAR at the ego origin, camera 1 m ahead / 1.5 m up on an ego that moved 1 m further by camera time:
    # a LiDAR point 10 m ahead is 10 - 1 - 1 = 8 m in front of the camera, 1.5 m below its axis.
    cam_point = np.array(cam['lidar2cam']) @ np.array([10.0, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(cam_point[:3], [0.0, 1.5, 8.0], atol=1e-9)
    assert train[0]['pts_semantic_mask_path'].startswith('lidarseg/v1.0-mini/')

    from panguvision.datasets.nuscenes_lidarseg_dataset import NuScenesLidarSegDataset
    dataset = NuScenesLidarSegDataset(
        data_root=str(tmp_path), ann_file='nuscenes_lidarseg_infos_train.pkl',
        data_prefix=dict(pts='', img='', pts_semantic_mask=''),
        pipeline=[dict(type='mmdet3d.LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=4),
                  dict(type='mmdet3d.LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False, with_seg_3d=True,
                       seg_3d_dtype='np.uint8'),
                  dict(type='mmdet3d.PointSegClassMapping')])
    sample = dataset[0]
    # car -> 3, adult -> pedestrian 6, noise -> ignore 16, vegetation -> 15
    np.testing.assert_array_equal(sample['pts_semantic_mask'], [3, 6, 16, 15])
    assert sample['points'].shape == (4, 4)


def test_wrong_category_table_is_refused(tmp_path, run_tool):
    pytest.importorskip('nuscenes')
    make_nuscenes(tmp_path)
    path = tmp_path / 'v1.0-mini' / 'category.json'
    rows = json.loads(path.read_text())
    rows[17]['index'], rows[30]['index'] = 30, 17
    path.write_text(json.dumps(rows))
    proc = run_tool('tools/create_data.py', 'nuscenes-lidarseg', '--root-path', tmp_path, '--version', 'v1.0-mini',
                    check=False)

    assert proc.returncode != 0 and 'category.json' in proc.stderr


def test_shared_semantickitti_sample(shared_data, tmp_path, run_tool):
    src = shared_data / 'lidar' / 'semantickitti'
    if not (src / 'sequences' / '00' / 'velodyne').is_dir():
        pytest.skip(f'no SemanticKITTI sample under {src}')
    shutil.copytree(src / 'sequences', tmp_path / 'sequences')
    create_data.main(list(map(str, ['semantickitti', '--root-path', tmp_path])))
    infos = mmengine.load(tmp_path / 'semantickitti_infos_train.pkl')['data_list']
    assert len(infos) == 1 and infos[0]['pts_semantic_mask_path'] == 'sequences/00/labels/000000.label'
