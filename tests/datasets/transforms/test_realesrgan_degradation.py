"""Real-ESRGAN second-order degradation transforms."""
import numpy as np
import pytest

from panguvision.datasets.transforms.realesrgan_degradation import (RandomHRCrop, RealESRGANDegradation,
                                                                    add_gaussian_noise, add_poisson_noise, filter2d,
                                                                    jpeg_compress, random_resize)


@pytest.fixture(scope='module')
def photo():
    from skimage import data
    return np.ascontiguousarray(data.astronaut()[100:228, 150:278])  # (128, 128, 3) uint8, face and texture


def _degrade(gt, seed, scale=4, **kwargs):
    results = RealESRGANDegradation(scale=scale, **kwargs)(dict(gt=gt, img_id='x', sample_seed=seed))
    return results['lq'], results['degradation']


@pytest.mark.parametrize('scale,size', [(4, 128), (2, 64), (4, 96)])
def test_output_size_and_dtype(photo, scale, size):
    lq, log = _degrade(photo[:size, :size], seed=3, scale=scale)
    assert lq.shape == (size // scale, size // scale, 3) and lq.dtype == np.uint8
    assert set(log) == {'first', 'second', 'final'}


def test_same_seed_same_lq_and_different_seed_different_lq(photo):
    a, log_a = _degrade(photo, seed=7)
    b, log_b = _degrade(photo, seed=7)
    c, _ = _degrade(photo, seed=8)
    np.testing.assert_array_equal(a, b)
    assert log_a == log_b
    assert not np.array_equal(a, c)


def test_without_sample_seed_numpy_global_seeding_controls_it(photo):
    transform = RealESRGANDegradation(scale=4)
    np.random.seed(5)
    a = transform(dict(gt=photo))['lq']
    np.random.seed(5)
    b = transform(dict(gt=photo))['lq']
    c = transform(dict(gt=photo))['lq']
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_degradation_changes_the_image_beyond_a_plain_downscale(photo):
    import cv2
    lq, _ = _degrade(photo, seed=11)
    area = cv2.resize(photo, (32, 32), interpolation=cv2.INTER_AREA)
    assert np.abs(lq.astype(float) - area).mean() > 1.0


def test_parameters_stay_in_the_published_ranges(photo):
    small = photo[:32, :32]
    logs = [_degrade(small, seed=s)[1] for s in range(60)]
    orders = {log['final']['order'] for log in logs}
    assert orders == {'resize_sinc_jpeg', 'jpeg_resize_sinc'}
    for log in logs:
        for stage, sigma_high, noise_high in (('first', 3.0, 30.0), ('second', 1.5, 25.0)):
            blur = log[stage]['blur']
            if blur is not None and blur['type'] != 'sinc':
                assert 0.2 <= blur['sigma_x'] <= sigma_high and 0.2 <= blur['sigma_y'] <= sigma_high
                assert blur['size'] in range(7, 22, 2)
            noise = log[stage]['noise']
            if noise['type'] == 'gaussian':
                assert 1.0 <= noise['sigma'] <= noise_high
            assert 30 <= log[stage]['jpeg_quality'] <= 95
        assert log['first']['blur'] is not None  # the first stage always blurs
    assert any(log['second']['blur'] is None for log in logs)  # second blur only with probability 0.8
    assert any(log['final']['sinc'] is None for log in logs) and any(log['final']['sinc'] for log in logs)


def test_stage_overrides_are_used_and_unknown_keys_rejected(photo):
    _, log = _degrade(photo[:32, :32], seed=0, first_stage=dict(gaussian_noise_prob=1.0, noise_range=(5, 5)),
                      second_stage=dict(blur_prob=0.0))
    assert log['first']['noise'] == dict(type='gaussian', sigma=5.0, gray=log['first']['noise']['gray'])
    assert log['second']['blur'] is None
    with pytest.raises(KeyError, match='blur_sigma2'):
        RealESRGANDegradation(second_stage=dict(blur_sigma2=(0.1, 1)))
    with pytest.raises(ValueError, match='kernel_range'):
        RealESRGANDegradation(kernel_range=(6, 21))


def test_gt_not_a_multiple_of_the_scale_is_rejected(photo):
    with pytest.raises(ValueError, match='multiple of scale=4'):
        RealESRGANDegradation(scale=4)(dict(gt=photo[:30, :32], img_id='odd'))


def test_existing_lq_is_kept_unless_forced(photo):
    lq = np.zeros((32, 32, 3), np.uint8)
    assert RealESRGANDegradation(scale=4)(dict(gt=photo, lq=lq))['lq'] is lq
    assert RealESRGANDegradation(scale=4, force=True)(dict(gt=photo, lq=lq, sample_seed=1))['lq'].any()


def test_gaussian_noise_statistics():
    rng = np.random.default_rng(0)
    img = np.full((256, 256, 3), 0.5, np.float32)
    noisy = add_gaussian_noise(img, rng, sigma=20.0, gray=False)
    noise = (noisy - img) * 255
    assert noise.std() == pytest.approx(20.0, rel=0.03) and abs(noise.mean()) < 0.3
    assert not np.allclose(noise[..., 0], noise[..., 1])
    grey = (add_gaussian_noise(img, rng, sigma=20.0, gray=True) - img) * 255
    np.testing.assert_array_equal(grey[..., 0], grey[..., 2])
    assert grey.std() == pytest.approx(20.0, rel=0.03)


def test_poisson_noise_statistics():
    rng = np.random.default_rng(0)
    img = np.tile(np.linspace(0, 1, 256, dtype=np.float32)[None, :, None], (256, 1, 3))  # 256 levels -> 256 photons
    noise = add_poisson_noise(img, rng, scale=1.0, gray=False) - img
    bright, dark = noise[:, -16:], noise[:, :16]
    # Shot noise: variance = intensity / photons.
    assert bright.var() == pytest.approx(img[:, -16:].mean() / 256, rel=0.1)
    assert dark.var() < bright.var() / 5
    doubled = add_poisson_noise(img, np.random.default_rng(0), scale=2.0, gray=False) - img
    np.testing.assert_allclose(doubled, 2 * noise, atol=1e-6)
    grey = add_poisson_noise(img, rng, scale=1.0, gray=True) - img
    np.testing.assert_array_equal(grey[..., 0], grey[..., 1])


def test_jpeg_quality_effect(photo):
    img = photo.astype(np.float32) / 255
    errors = [np.abs(jpeg_compress(img, q) - img).mean() for q in (30, 60, 95)]
    assert errors[0] > errors[1] > errors[2] > 0
    assert jpeg_compress(img, 50).shape == img.shape


def test_random_resize_directions_and_size():
    img = np.zeros((40, 60, 3), np.float32)
    rng = np.random.default_rng(0)
    up, params = random_resize(img, rng, (1, 0, 0), (0.15, 1.5))
    assert 1.0 <= params['factor'] <= 1.5 and up.shape == (int(40 * params['factor']), int(60 * params['factor']), 3)
    down, params = random_resize(img, rng, (0, 1, 0), (0.15, 1.5))
    assert 0.15 <= params['factor'] <= 1.0 and down.shape[0] <= 40
    keep, params = random_resize(img, rng, (0, 0, 1), (0.15, 1.5), base_hw=(10, 15))
    assert params['factor'] == 1.0 and keep.shape == (10, 15, 3)  # relative to base_hw (the LQ size)


def test_filter2d_is_a_convolution():
    img = np.zeros((9, 9, 3), np.float32)
    img[4, 4] = 1.0
    kernel = np.zeros((3, 3))
    kernel[0, 1] = 1.0  # asymmetric kernel; convolving an impulse reproduces the kernel (correlation would flip it)
    out = filter2d(img, kernel)
    assert out[3, 4, 0] == 1.0 and out[5, 4, 0] == 0.0


def test_random_hr_crop_is_seeded(photo):
    crop = RandomHRCrop(64)
    a = crop(dict(gt=photo, sample_seed=1))
    b = crop(dict(gt=photo, sample_seed=1))
    c = crop(dict(gt=photo, sample_seed=2))
    assert a['gt'].shape == (64, 64, 3)
    np.testing.assert_array_equal(a['gt'], b['gt'])
    assert a['crop_box'] != c['crop_box'] or not np.array_equal(a['gt'], c['gt'])
    with pytest.raises(ValueError, match='smaller than patch_size'):
        RandomHRCrop(256)(dict(gt=photo, img_id='small'))
