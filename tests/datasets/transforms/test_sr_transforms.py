"""Loading, paired SR transforms (alignment above all) and packing."""
import cv2
import numpy as np
import pytest
import torch

from panguvision.datasets.transforms import (BicubicDegrade, LoadSRImages, ModCrop, PackSRInputs, PairedFlip,
                                             PairedRandomCrop, PairedRot90)
from panguvision.registry import TRANSFORMS
from panguvision.structures import SRDataSample
from panguvision.utils.imresize import imresize_np


def _textured(h, w, seed=0):
    """Smooth-ish random RGB uint8 texture (random noise blurred a little), so shifts change the content."""
    rng = np.random.default_rng(seed)
    img = cv2.GaussianBlur(rng.random((h, w, 3)) * 255, (5, 5), 1.0)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def test_load_sr_images_reads_rgb(tmp_path):
    rgb = np.zeros((4, 5, 3), dtype=np.uint8)
    rgb[..., 0] = 200  # red
    cv2.imwrite(str(tmp_path / 'red.png'), rgb[..., ::-1])
    cv2.imwrite(str(tmp_path / 'grey.png'), np.full((3, 2), 7, dtype=np.uint8))
    results = TRANSFORMS.build(dict(type='LoadSRImages'))(
        dict(gt_path=str(tmp_path / 'red.png'), lq_path=str(tmp_path / 'grey.png')))
    np.testing.assert_array_equal(results['gt'], rgb)
    assert results['gt'].dtype == np.uint8
    assert results['lq'].shape == (3, 2, 3) and (results['lq'] == 7).all()


def test_load_sr_images_keeps_in_memory_images_and_skips_none():
    gt = np.zeros((2, 2, 3), dtype=np.uint8)
    results = LoadSRImages()(dict(gt=gt, gt_path=None, lq_path=None))
    assert results['gt'] is gt and 'lq' not in results


def test_load_sr_images_errors_name_the_file(tmp_path):
    missing = tmp_path / 'missing.png'
    with pytest.raises(FileNotFoundError, match='missing.png'):
        LoadSRImages()(dict(gt_path=str(missing)))
    garbage = tmp_path / 'garbage.png'
    garbage.write_bytes(b'not a png')
    with pytest.raises(ValueError, match='garbage.png'):
        LoadSRImages()(dict(lq_path=str(garbage)))


def test_mod_crop():
    results = ModCrop()(dict(gt=np.zeros((13, 10, 3), dtype=np.uint8), scale=4))
    assert results['gt'].shape == (12, 8, 3)
    assert ModCrop(scale=3)(dict(gt=np.zeros((13, 10, 3))))['gt'].shape == (12, 9, 3)


def test_bicubic_degrade():
    gt = _textured(24, 16)
    results = BicubicDegrade()(dict(gt=gt, scale=4))
    assert results['lq'].dtype == np.uint8
    np.testing.assert_array_equal(results['lq'], imresize_np(gt, 1 / 4))
    existing = np.zeros((6, 4, 3), dtype=np.uint8)
    assert BicubicDegrade()(dict(gt=gt, lq=existing, scale=4))['lq'] is existing
    np.testing.assert_array_equal(BicubicDegrade(force=True)(dict(gt=gt, lq=existing, scale=4))['lq'], results['lq'])
    with pytest.raises(ValueError, match='ModCrop'):
        BicubicDegrade(scale=3)(dict(gt=gt))


def test_paired_random_crop_is_aligned():
    """Degrading the GT crop gives the LQ crop (away from the crop border, where the kernel's support is cut)."""
    scale, patch = 4, 12
    gt = _textured(160, 128)
    lq = imresize_np(gt, 1 / scale)
    np.random.seed(3)
    for _ in range(5):
        results = PairedRandomCrop(lq_patch_size=patch)(dict(gt=gt, lq=lq, scale=scale))
        assert results['lq'].shape == (patch, patch, 3)
        assert results['gt'].shape == (patch * scale, patch * scale, 3)
        redegraded = imresize_np(np.ascontiguousarray(results['gt']), 1 / scale).astype(int)
        # The x4 antialiased kernel spans 16 GT pixels = 4 LQ pixels: 2 LQ pixels from the border are exact.
        inner = (slice(2, -2), slice(2, -2))
        diff = np.abs(redegraded[inner] - results['lq'][inner].astype(int))
        assert diff.max() <= 1 and (diff == 0).mean() > 0.99
        shifted = np.abs(redegraded[2:-3, 2:-2] - results['lq'][3:-2, 2:-2].astype(int))
        assert shifted.mean() > 5  # a one-pixel misalignment would be obvious


def test_paired_random_crop_checks_scale_and_size():
    with pytest.raises(ValueError, match='not scale=4 times'):
        PairedRandomCrop(4)(dict(gt=np.zeros((30, 32, 3)), lq=np.zeros((8, 8, 3)), scale=4, img_id='q'))
    with pytest.raises(ValueError, match='smaller than the patch size'):
        PairedRandomCrop(16)(dict(gt=np.zeros((32, 32, 3)), lq=np.zeros((8, 8, 3)), scale=4))
    with pytest.raises(KeyError, match='BicubicDegrade'):
        PairedRandomCrop(4)(dict(gt=np.zeros((32, 32, 3)), scale=4))


def test_paired_random_crop_follows_numpy_seed():
    gt = _textured(64, 64)
    lq = imresize_np(gt, 1 / 2)
    crops = []
    for _ in range(2):
        np.random.seed(123)
        crops.append(PairedRandomCrop(8, scale=2)(dict(gt=gt, lq=lq))['gt'])
    np.testing.assert_array_equal(crops[0], crops[1])


@pytest.mark.parametrize('direction,axis', [('horizontal', 1), ('vertical', 0)])
def test_paired_flip(direction, axis):
    gt, lq = _textured(8, 6), _textured(4, 3, seed=1)
    flipped = PairedFlip(prob=1.0, direction=direction)(dict(gt=gt, lq=lq))
    np.testing.assert_array_equal(flipped['gt'], np.flip(gt, axis))
    np.testing.assert_array_equal(flipped['lq'], np.flip(lq, axis))
    kept = PairedFlip(prob=0.0, direction=direction)(dict(gt=gt, lq=lq))
    assert kept['gt'] is gt and kept['lq'] is lq
    with pytest.raises(ValueError, match='direction'):
        PairedFlip(direction='diagonal')


def test_paired_rot90_transposes_both():
    gt, lq = _textured(8, 6), _textured(4, 3, seed=1)
    out = PairedRot90(prob=1.0)(dict(gt=gt, lq=lq))
    np.testing.assert_array_equal(out['gt'], gt.transpose(1, 0, 2))
    np.testing.assert_array_equal(out['lq'], lq.transpose(1, 0, 2))
    assert PairedRot90(prob=0.0)(dict(gt=gt, lq=lq))['gt'] is gt


def test_pack_sr_inputs():
    gt, lq = _textured(8, 6), _textured(4, 3, seed=1)
    lq_view = np.flip(lq, 1)  # non-contiguous input is fine
    packed = PackSRInputs()(dict(gt=gt, lq=lq_view, img_id='x', scale=2, gt_path='g.png', lq_path=None))
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.dtype == torch.float32 and tuple(inputs.shape) == (3, 4, 3)
    np.testing.assert_array_equal(inputs.permute(1, 2, 0).numpy(), lq_view)
    assert isinstance(sample, SRDataSample)
    assert sample.gt_img.dtype == torch.float32 and tuple(sample.gt_img.shape) == (3, 8, 6)
    np.testing.assert_array_equal(sample.gt_img.permute(1, 2, 0).numpy(), gt)
    assert sample.metainfo == dict(img_id='x', scale=2, gt_path='g.png', lq_path=None, lq_shape=(4, 3))
    no_gt = PackSRInputs()(dict(lq=lq, img_id='y', scale=2))['data_samples']
    assert 'gt_img' not in no_gt
    with pytest.raises(KeyError, match='lq'):
        PackSRInputs()(dict(gt=gt, img_id='z'))


def test_training_pipeline_end_to_end():
    """The configs' training pipeline, built as a Runner builds it (mmengine's Compose under the default scope)."""
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('panguvision'):
        pipeline = Compose([
            dict(type='ModCrop'), dict(type='BicubicDegrade'), dict(type='PairedRandomCrop', lq_patch_size=8),
            dict(type='PairedFlip', prob=0.5), dict(type='PairedFlip', prob=0.5, direction='vertical'),
            dict(type='PairedRot90', prob=0.5), dict(type='PackSRInputs')
        ])
    np.random.seed(0)
    packed = pipeline(dict(gt=_textured(70, 50), gt_path=None, lq_path=None, img_id='t', scale=3))
    assert tuple(packed['inputs'].shape) == (3, 8, 8)
    assert tuple(packed['data_samples'].gt_img.shape) == (3, 24, 24)
