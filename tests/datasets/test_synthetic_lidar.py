"""Synthetic LiDAR + camera scenes: exact geometry, LiDAR/camera agreement, SemanticKITTI layout, mmdet3d loading."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from panguvision.datasets.synthetic_lidar import (GROUND_Z, SYNTHETIC_RAW_IDS, camera_model, cast_rays, render_scene,
                                                  sample_scene, write_synthetic_lidar)


def test_ray_caster_hits_primitives_where_geometry_says():
    box = dict(kind='box', cls=1, obj=1, center=np.array([10.0, 0, 0]), size=np.array([2.0, 2, 2]), yaw=np.pi / 4)
    sphere = dict(kind='sphere', cls=3, obj=2, center=np.array([0.0, 10, 0]), radius=1.5)
    cyl = dict(kind='cylinder', cls=2, obj=3, center=np.array([0.0, -10]), radius=0.5, z_range=(-1, 1))
    plane = dict(kind='plane', cls=0, obj=0, z=GROUND_Z)
    dirs = np.array([[1.0, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, -1], [0, 0, 1], [-1, 0, 0]])
    hit = cast_rays(np.zeros((6, 3)), dirs, [plane, box, sphere, cyl])
    # box rotated 45 deg: its corner points at the origin, sqrt(2) m from the centre
    np.testing.assert_allclose(hit['t'][:4], [10 - np.sqrt(2), 8.5, 9.5, -GROUND_Z])
    assert hit['cls'].tolist() == [1, 3, 2, 0, -1, -1] and np.isinf(hit['t'][4:]).all()


def test_lidar_and_camera_agree_on_the_same_scene():
    rng = np.random.default_rng(0)
    scene = render_scene(sample_scene(rng), rng, num_beams=32, num_azimuths=360)
    pts, cls = scene['points'], scene['point_cls']
    assert pts.dtype == np.float32 and pts.shape[1] == 4 and len(pts) > 5000
    assert (cls >= 0).all() and set(np.unique(cls)) <= set(range(5)) and len(np.unique(cls)) >= 4
    ground = cls == 0
    assert np.abs(pts[ground, 2] - GROUND_Z).max() < 0.15  # the ground points lie on the plane (range noise 2 cm)
    cam = scene['camera']
    xyz1 = np.concatenate([pts[:, :3], np.ones((len(pts), 1))], 1)
    c = xyz1 @ cam['lidar2cam'].T
    uv = c[:, :3] @ cam['K'].T
    z = c[:, 2]
    u, v = np.round(uv[:, 0] / np.maximum(z, 1e-6)).astype(int), np.round(uv[:, 1] / np.maximum(z, 1e-6)).astype(int)
    inside = (z > 1) & (u >= 0) & (u < cam['width']) & (v >= 0) & (v < cam['height'])
    assert inside.sum() > 500
    agree = scene['pixel_cls'][v[inside], u[inside]] == cls[inside]
    assert agree.mean() > 0.9, agree.mean()  # disagreements only at occlusion edges (camera 27 cm ahead)
    depth_err = np.abs(scene['pixel_depth'][v[inside], u[inside]] - z[inside])[agree]
    assert np.median(depth_err) < 0.1
    # colours follow classes: mean colour of vegetation pixels is greener than that of car pixels
    img = scene['image'].astype(float)
    assert img[scene['pixel_cls'] == 3][:, 1].mean() > img[scene['pixel_cls'] == 1][:, 1].mean()


def test_semantickitti_layout_and_mmdet3d_loading(tmp_path):
    infos = write_synthetic_lidar(str(tmp_path), dict(train=dict(sequence=0, num_scans=4),
                                                      val=dict(sequence=8, num_scans=1)), num_azimuths=256)
    seq = tmp_path / 'sequences' / '00'
    pts = np.fromfile(seq / 'velodyne' / '000001.bin', dtype=np.float32).reshape(-1, 4)
    labels = np.fromfile(seq / 'labels' / '000001.label', dtype=np.uint32)
    assert len(pts) == len(labels) and set(np.unique(labels & 0xFFFF)) <= set(SYNTHETIC_RAW_IDS)
    calib = dict(line.split(':', 1) for line in (seq / 'calib.txt').read_text().splitlines())
    cam = camera_model()
    np.testing.assert_allclose(np.array(calib['P2'].split(), float).reshape(3, 4)[:, :3], cam['K'])
    np.testing.assert_allclose(np.array(calib['Tr'].split(), float).reshape(3, 4), cam['lidar2cam'][:3])
    assert (seq / 'image_2' / '000003.png').is_file() and (tmp_path / 'sequences' / '08' / 'labels').is_dir()

    init_default_scope('panguvision')
    from mmengine.config import Config

    from panguvision.registry import DATASETS
    cfg = Config.fromfile('configs/_base_/datasets/synthetic_lidar.py')
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=str(tmp_path), labelled_ratio=0.5, split_seed=3)
    ds = DATASETS.build(ds_cfg)
    assert len(ds) == 4 and len(ds.labelled_indices) == 2
    sample = ds[1]
    meta = sample['data_samples'].metainfo
    assert sample['inputs']['img'].shape == (3, cam['height'], cam['width'])
    assert meta['is_labelled'] == (1 in ds.labelled_indices)
    np.testing.assert_allclose(meta['cam2img'], cam['K'])
    mask = sample['data_samples'].gt_pts_seg.pts_semantic_mask
    raw = np.asarray(SYNTHETIC_RAW_IDS)
    np.testing.assert_array_equal(raw[mask.numpy()], labels & 0xFFFF)  # the learning map inverts the raw ids
    with pytest.raises(ValueError, match='labelled_ratio'):
        DATASETS.build(dict(ds_cfg, labelled_ratio=0.0))
    assert infos['val'].endswith('synthetic_infos_val.pkl')


def test_street10_scenes_have_every_class_where_the_layout_puts_it():
    from panguvision.datasets.synthetic_lidar import SCENE_PRESETS
    spec = SCENE_PRESETS['street10']
    rng = np.random.default_rng(1)
    seen = np.zeros(10, int)
    for _ in range(6):
        scene = render_scene(sample_scene(rng, 'street10'), rng, num_azimuths=360,
                             image_colours=spec['image_colours'])
        cls, pts = scene['point_cls'], scene['points']
        seen += np.bincount(cls, minlength=10)
        walk = cls == spec['classes'].index('sidewalk')
        top = pts[walk, 2] > GROUND_Z + 0.1  # the slab's top face, 0.15 m above the road
        assert top.mean() > 0.5 and np.abs(pts[walk & (pts[:, 2] > GROUND_Z + 0.1), 2] - GROUND_Z - 0.15).max() < 0.1
        road = cls == 0
        assert np.abs(pts[road, 2] - GROUND_Z).max() < 0.15
        img = scene['image'].astype(float)
        for name in ('car', 'truck'):  # image colour follows the class: red cars, blue trucks
            c = spec['classes'].index(name)
            if (scene['pixel_cls'] == c).sum() > 50:
                px = img[scene['pixel_cls'] == c].mean(0)
                assert (px[0] > px[2]) == (name == 'car')
    assert (seen > 0).all(), dict(zip(spec['classes'], seen))
    with pytest.raises(KeyError, match='street5'):
        sample_scene(rng, 'street3')


def test_street10_dataset_maps_its_raw_ids_and_checks_the_preset(tmp_path):
    from panguvision.datasets.synthetic_lidar import SCENE_PRESETS
    write_synthetic_lidar(str(tmp_path), dict(train=dict(sequence=0, num_scans=2)), preset='street10',
                          num_azimuths=256)
    labels = np.fromfile(tmp_path / 'sequences' / '00' / 'labels' / '000000.label', dtype=np.uint32)
    raw = np.asarray(SCENE_PRESETS['street10']['raw_ids'])
    assert set(np.unique(labels & 0xFFFF)) <= set(raw.tolist()) | {0}
    init_default_scope('panguvision')
    from mmengine.config import Config

    from panguvision.registry import DATASETS
    ds_cfg = Config.fromfile('configs/_base_/datasets/synthetic_lidar.py').train_dataloader.dataset
    ds_cfg.update(data_root=str(tmp_path), labelled_ratio=None, preset='street10', ignore_index=10)
    ds = DATASETS.build(ds_cfg)
    assert ds.metainfo['classes'] == SCENE_PRESETS['street10']['classes'] and ds.metainfo['scene_preset'] == 'street10'
    mask = ds[0]['data_samples'].gt_pts_seg.pts_semantic_mask.numpy()
    np.testing.assert_array_equal(raw[mask], labels & 0xFFFF)
    with pytest.raises(ValueError, match="synthetic_infos_train.pkl: written with scene preset 'street10'"):
        DATASETS.build(dict(ds_cfg, preset='street5', ignore_index=5))
