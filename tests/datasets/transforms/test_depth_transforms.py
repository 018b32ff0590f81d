"""Depth transforms: geometric consistency of image, depth and intrinsics.

A set of 3D points is projected with K onto integer pixels of an image (one bright pixel each) and of a sparse depth
map (their depths). After each transform, re-projecting the same 3D points (mirrored for a flip) with the transformed K
must land exactly on the pixels that now hold them (crop, flip, upsampling), or within the nearest-neighbour rounding
(downsampling); depth values must be carried over, never interpolated.
"""
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from panguvision.datasets.transforms import (DepthCenterCrop, DepthRandomCrop, DepthRandomFlip, DepthResize,
                                             LoadDepthInputs, PackDepthInputs)
from panguvision.registry import TRANSFORMS
from panguvision.utils.image_io import write_depth_png, write_image

H, W = 48, 64
K0 = np.array([[50.0, 0.0, 31.3], [0.0, 55.0, 23.7], [0.0, 0.0, 1.0]])


def _project(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """``(N, 3)`` camera points (metres) -> ``(N, 2)`` pixel coordinates ``(u, v)``."""
    uvw = points @ K.T
    return uvw[:, :2] / uvw[:, 2:]


def _scene(n=40, seed=0):
    """Points on distinct integer pixels with distinct depths; the image has a bright pixel at each, the sparse depth
    map their depths (float32, as read from a PNG)."""
    rng = np.random.default_rng(seed)
    flat = rng.choice(H * W, n, replace=False)
    v, u = np.divmod(flat, W)
    z = (rng.permutation(n) * 0.37 + 1.0).astype(np.float32)  # distinct, 1 .. 15.4 m
    X = (u - K0[0, 2]) * z / K0[0, 0]
    Y = (v - K0[1, 2]) * z / K0[1, 1]
    points = np.stack([X, Y, z.astype(np.float64)], axis=1)
    np.testing.assert_allclose(_project(points, K0), np.stack([u, v], 1), atol=1e-9)
    img = np.zeros((H, W, 3), np.uint8)
    img[v, u] = 255
    depth = np.zeros((H, W), np.float32)
    depth[v, u] = z
    results = dict(img=img, gt_depth=depth, intrinsics=K0.copy(), img_shape=(H, W), img_id='synthetic')
    return points, z, results


def _check_exact(points, z, out, expect_all_inside=False):
    """Every point that re-projects inside the output lands exactly on a pixel holding its depth and a bright pixel,
    and nothing else is left in the output."""
    K, depth, img = out['intrinsics'], out['gt_depth'], out['img']
    h, w = depth.shape
    uv = _project(points, K)
    np.testing.assert_allclose(uv, np.round(uv), atol=1e-6)  # still integer pixels
    cols, rows = np.round(uv).astype(int).T
    inside = (cols >= 0) & (cols < w) & (rows >= 0) & (rows < h)
    if expect_all_inside:
        assert inside.all()
    assert inside.sum() > 0
    np.testing.assert_array_equal(depth[rows[inside], cols[inside]], z[inside])
    assert (img[rows[inside], cols[inside]] == 255).all()
    assert np.count_nonzero(depth) == inside.sum() == np.count_nonzero(img[..., 0])
    assert out['img_shape'] == (h, w) == img.shape[:2]


def test_flip_is_exact_for_the_mirrored_scene():
    points, z, results = _scene()
    out = DepthRandomFlip(prob=1.0)(results)
    assert out['flip'] and out['flip_direction'] == 'horizontal'
    np.testing.assert_allclose(out['intrinsics'][0, 2], (W - 1) - K0[0, 2])
    mirrored = points * np.array([-1.0, 1.0, 1.0])
    _check_exact(mirrored, z, out, expect_all_inside=True)
    # prob=0 leaves everything untouched
    points, z, results = _scene()
    out = DepthRandomFlip(prob=0.0)(results)
    assert not out['flip'] and out['flip_direction'] is None
    _check_exact(points, z, out, expect_all_inside=True)


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_random_crop_is_exact(seed):
    points, z, results = _scene(seed=seed)
    np.random.seed(seed)
    out = DepthRandomCrop(size=(30, 41))(results)
    assert out['gt_depth'].shape == (30, 41)
    _check_exact(points, z, out)


def test_center_crop_is_exact_and_clips():
    points, z, results = _scene()
    out = DepthCenterCrop(size=(20, 30))(results)
    np.testing.assert_allclose(out['intrinsics'][:2, 2], K0[:2, 2] - [(W - 30) // 2, (H - 20) // 2])
    _check_exact(points, z, out)
    points, z, results = _scene()
    out = TRANSFORMS.build(dict(type='DepthCenterCrop', size=(100, 30)))(results)  # taller than the image: clipped
    assert out['gt_depth'].shape == (H, 30)
    _check_exact(points, z, out)


@pytest.mark.parametrize('kwargs',
                         [dict(scale=(150, 100)), dict(scale_factor=3.0), dict(scale=(100, 100), keep_ratio=True)])
def test_upsampling_lands_exactly_and_keeps_depths(kwargs):
    points, z, results = _scene()
    out = DepthResize(**kwargs)(results)
    depth, K = out['gt_depth'], out['intrinsics']
    h, w = depth.shape
    if kwargs.get('keep_ratio'):
        assert (w, h) == (100, 75)
    sx, sy = w / W, h / H
    np.testing.assert_allclose(K[[0, 1], [0, 1]], K0[[0, 1], [0, 1]] * [sx, sy])
    np.testing.assert_allclose(K[:2, 2], (K0[:2, 2] + 0.5) * [sx, sy] - 0.5)
    uv = _project(points, K)
    cols, rows = np.round(uv).astype(int).T
    np.testing.assert_array_equal(depth[rows, cols], z)  # exactly on the re-projection, value unchanged
    # never interpolated: only source values (and zeros) appear, every point at least once
    assert set(np.unique(depth[depth > 0])) == set(z.tolist())
    assert out['img'].shape == (h, w, 3) and out['img_shape'] == (h, w)


def test_downsampling_stays_within_the_rounding():
    points, z, results = _scene(n=60)
    out = DepthResize(scale=(40, 30), interpolation='area')(results)
    depth, K = out['gt_depth'], out['intrinsics']
    sx, sy = 40 / W, 30 / H
    uv = _project(points, K)
    rows, cols = np.nonzero(depth)
    assert len(rows) > 10
    for r, c in zip(rows, cols):
        i = np.flatnonzero(z == depth[r, c])
        assert len(i) == 1  # a source value, not a blend
        du, dv = np.abs(uv[i[0]] - [c, r])
        assert du <= sx / 2 + 1e-9 and dv <= sy / 2 + 1e-9


def test_image_resize_follows_the_pixel_centre_convention():
    """The image and K agree: a horizontal ramp ``img[:, u] = 2u`` resized bilinearly holds ``2u`` at the output
    pixel ``x = (u + 0.5) sx - 0.5`` (the K mapping), not at ``x = u sx``."""
    ramp = np.repeat((2 * np.arange(W, dtype=np.uint8))[None, :, None], 3, axis=2).repeat(H, axis=0)
    out = DepthResize(scale=(160, 48))(dict(img=ramp, intrinsics=K0.copy()))
    sx = 160 / W
    x = np.arange(5, 155)
    u_src = (x + 0.5) / sx - 0.5
    np.testing.assert_allclose(out['img'][10, x, 0], 2 * u_src, atol=0.51)
    np.testing.assert_allclose(out['intrinsics'][0, 2], (K0[0, 2] + 0.5) * sx - 0.5)


def test_chain_load_resize_crop_flip_pack(tmp_path):
    points, z, results = _scene()
    write_image(str(tmp_path / 'rgb.png'), results['img'])
    write_depth_png(str(tmp_path / 'depth.png'), results['gt_depth'], scale=1000)
    z_png = np.round(z * 1000).astype(np.float32) / np.float32(1000)
    info = dict(img_id='a', img_path=str(tmp_path / 'rgb.png'), depth_path=str(tmp_path / 'depth.png'),
                intrinsics=K0.tolist(), depth_scale=1000.0)
    pipeline = [TRANSFORMS.build(t) for t in (dict(type='LoadDepthInputs'), dict(type='DepthResize', scale_factor=2.0),
                                              dict(type='DepthRandomCrop', size=(60, 90)),
                                              dict(type='DepthRandomFlip', prob=1.0), dict(type='PackDepthInputs'))]
    np.random.seed(3)
    for t in pipeline:
        info = t(info)
    inputs, sample = info['inputs'], info['data_samples']
    assert isinstance(sample, BaseDataElement)
    assert inputs.shape == (3, 60, 90) and inputs.dtype == torch.float32 and 0 < float(inputs.max()) <= 255
    assert sample.gt_depth.shape == (1, 60, 90) and sample.gt_depth.dtype == torch.float32
    assert sample.img_id == 'a' and sample.ori_shape == (H, W) and sample.img_shape == (60, 90) and sample.flip
    K = np.array(sample.intrinsics)
    assert K.shape == (3, 3)
    uv = _project(points * [-1.0, 1.0, 1.0], K)
    cols, rows = np.round(uv).astype(int).T
    inside = (cols >= 0) & (cols < 90) & (rows >= 0) & (rows < 60)
    assert inside.sum() > 3
    depth = sample.gt_depth[0].numpy()
    np.testing.assert_array_equal(depth[rows[inside], cols[inside]], z_png[inside])
    # never interpolated (a point on the crop border may keep one of its two upsampled pixels: a subset of all)
    assert set(z_png[inside].tolist()) <= set(np.unique(depth[depth > 0]).tolist()) <= set(z_png.tolist())


def test_load_depth_inputs_checks_sizes(tmp_path):
    write_image(str(tmp_path / 'rgb.png'), np.zeros((4, 5, 3), np.uint8))
    write_depth_png(str(tmp_path / 'depth.png'), np.ones((4, 6)), scale=256)
    with pytest.raises(ValueError, match='depth.png'):
        LoadDepthInputs()(dict(img_path=str(tmp_path / 'rgb.png'), depth_path=str(tmp_path / 'depth.png'),
                               intrinsics=K0.tolist()))
    out = LoadDepthInputs()(dict(img_path=str(tmp_path / 'rgb.png'), depth_path=None, intrinsics=K0.tolist()))
    assert 'gt_depth' not in out and out['intrinsics'].dtype == np.float64
    packed = PackDepthInputs()(out)
    assert 'gt_depth' not in packed['data_samples'] and packed['inputs'].shape == (3, 4, 5)


def test_resize_argument_checks():
    with pytest.raises(ValueError, match='exactly one'):
        DepthResize()
    with pytest.raises(ValueError, match='exactly one'):
        DepthResize(scale=(4, 4), scale_factor=2.0)
