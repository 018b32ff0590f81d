"""Synthetic depth scenes (exact geometry), their dataset, and the two-view UniDepth transforms on them."""
import numpy as np
import pytest


def test_rendered_depth_is_exact_for_the_room_planes():
    from panguvision.datasets.synthetic_depth import render_depth_scene
    scene = render_depth_scene(np.random.default_rng(3), 48, 64)
    img, depth, K = scene['img'], scene['depth'], scene['intrinsics']
    assert img.shape == (48, 64, 3) and img.dtype == np.uint8 and depth.shape == (48, 64)
    assert np.isfinite(depth).all() and depth.min() > 0.2 and depth.max() <= 12.0
    assert K[0, 0] > 0 and abs(K[0, 2] - 31.5) <= 0.05 * 64 + 1e-9
    # the bottom row sees the floor (or a sphere in front of it): a floor hit at depth Z lies at height y = Z dy
    v = 47
    dy = (v - K[1, 2]) / K[1, 1]
    heights = depth[v] * dy
    floor = np.median(heights)
    assert 1.2 <= floor <= 1.8
    on_floor = np.abs(heights - floor) < 1e-4
    assert on_floor.sum() >= 32  # most of the bottom row is floor at one exact height


def test_dataset_writes_once_and_reads_with_the_depth_pipeline(tmp_path):
    from mmengine.registry import init_default_scope

    from panguvision.registry import DATASETS
    init_default_scope('panguvision')
    cfg = dict(type='SyntheticDepthDataset', data_root=str(tmp_path / 'syn'), num_images=3, img_size=(24, 32), seed=5,
               pipeline=[dict(type='LoadDepthInputs'), dict(type='PackDepthInputs')])
    ds = DATASETS.build(cfg)
    assert len(ds) == 3
    item = ds[1]
    assert item['inputs'].shape == (3, 24, 32)
    gt = item['data_samples'].gt_depth
    assert gt.shape == (1, 24, 32) and float(gt.min()) > 0
    K = np.array(item['data_samples'].metainfo['intrinsics'])
    assert K.shape == (3, 3) and K[2, 2] == 1
    stamp = (tmp_path / 'syn' / 'rgb' / '0001.png').stat().st_mtime_ns
    DATASETS.build(cfg)  # same split: nothing re-rendered
    assert (tmp_path / 'syn' / 'rgb' / '0001.png').stat().st_mtime_ns == stamp


def _loaded(seed=0, size=(40, 56)):
    from panguvision.datasets.synthetic_depth import render_depth_scene
    scene = render_depth_scene(np.random.default_rng(seed), *size)
    return dict(img=scene['img'], gt_depth=scene['depth'], intrinsics=scene['intrinsics'], img_shape=size,
                img_path='scene.png')


def test_two_view_aug_affines_map_pixels_between_views():
    from panguvision.datasets.transforms import PackDepthViews, TwoViewDepthAug
    np.random.seed(0)
    aug = TwoViewDepthAug(transforms=[dict(type='DepthRandomResize', ratio_range=(1.0, 1.5)),
                                      dict(type='DepthRandomCrop', size=(32, 40)),
                                      dict(type='DepthRandomFlip', prob=0.5)])
    results = _loaded()
    K0 = results['intrinsics'].copy()
    flips = set()
    for _ in range(6):
        out = aug(dict(results))
        for view in out['views']:
            ax, bx, ay, by = view['view_affine']
            flips.add(ax < 0)
            K = np.asarray(view['intrinsics'])
            # the view's K is the loaded K moved by the same affine (a flip mirrors the scene: cx only)
            assert np.isclose(K[0, 0], abs(ax) * K0[0, 0]) and np.isclose(K[1, 1], ay * K0[1, 1])
            assert np.isclose(K[1, 2], ay * K0[1, 2] + by)
            # cx' = ax cx + bx holds for flipped views too (mirrored scene: cx' = (W - 1) - cx of the unflipped view)
            assert np.isclose(K[0, 2], ax * K0[0, 2] + bx)
            # depth is invariant: the depth at a view pixel equals the loaded depth near the mapped source pixel
            v, u = 10, 20
            src_u, src_v = (u - bx) / ax, (v - by) / ay
            near = results['gt_depth'][int(np.clip(round(src_v), 0, 39)), int(np.clip(round(src_u), 0, 55))]
            assert abs(view['gt_depth'][v, u] - near) < 0.15 * near
    assert flips == {True, False}
    packed = PackDepthViews()(out)
    assert packed['inputs'].shape == (2, 3, 32, 40)
    assert packed['data_samples'].gt_depth.shape == (2, 1, 32, 40)
    assert len(packed['data_samples'].metainfo['view_affine']) == 2
    assert np.asarray(packed['data_samples'].metainfo['intrinsics']).shape == (2, 3, 3)


def test_two_view_aug_errors():
    from panguvision.datasets.transforms import DepthRandomResize, PackDepthViews, TwoViewDepthAug
    with pytest.raises(ValueError, match='ratio_range'):
        DepthRandomResize(ratio_range=(1.5, 1.0))
    aug = TwoViewDepthAug(transforms=[dict(type='DepthRandomResize', ratio_range=(0.5, 1.0))])
    np.random.seed(1)
    with pytest.raises(ValueError, match='different sizes'):
        aug(_loaded())
    with pytest.raises(KeyError, match='TwoViewDepthAug'):
        PackDepthViews()(dict(img=np.zeros((2, 2, 3), np.uint8)))
