"""rgb2ycbcr / psnr / ssim against hand-computed values, and the SR literature's bicubic Set5 numbers."""
import math

import numpy as np
import pytest

from panguvision.evaluation.functional import psnr, rgb2ycbcr, ssim
from panguvision.utils.imresize import imresize_np

C1 = (0.01 * 255) ** 2
C2 = (0.03 * 255) ** 2


def test_rgb2ycbcr_matches_matlab():
    rgb = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]]], dtype=np.float64)
    expected = np.array([[[16, 128, 128], [235, 128, 128], [16 + 65.481, 128 - 37.797, 128 + 112.0],
                          [16 + 24.966, 128 + 112.0, 128 - 18.214]]])
    np.testing.assert_allclose(rgb2ycbcr(rgb), expected, atol=1e-12)
    np.testing.assert_allclose(rgb2ycbcr(rgb, y_only=True), expected[..., 0], atol=1e-12)
    # uint8 in -> uint8 out, rounded like MATLAB (81.481 -> 81, 40.966 -> 41, 90.203 -> 90, 109.786 -> 110).
    out = rgb2ycbcr(rgb.astype(np.uint8))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 2], [81, 90, 240])
    np.testing.assert_array_equal(out[0, 3], [41, 240, 110])


def test_psnr_hand_computed():
    a = np.zeros((4, 4, 3))
    b = a.copy()
    b[1, 2] = 10  # one pixel differs by 10 in every channel
    # RGB: MSE = 3 * 100 / 48 = 6.25.
    assert psnr(a, b) == pytest.approx(10 * math.log10(255 ** 2 / 6.25), abs=1e-12)
    # Y: the pixel's luma differs by 10 * (65.481 + 128.553 + 24.966) / 255 = 10 * 219 / 255; MSE over 16 pixels.
    mse_y = (10 * 219 / 255) ** 2 / 16
    assert psnr(a, b, test_y_channel=True) == pytest.approx(10 * math.log10(255 ** 2 / mse_y), abs=1e-12)
    # Cropping one pixel per side keeps the 2x2 centre, which holds the differing pixel: MSE = 100 / 4.
    assert psnr(a, b, crop_border=1) == pytest.approx(10 * math.log10(255 ** 2 / 25), abs=1e-12)
    b2 = a.copy()
    b2[0, 0] = 10  # on the border: cropped away
    assert psnr(a, b2, crop_border=1) == float('inf')


def test_identical_images():
    img = np.random.default_rng(0).integers(0, 256, (20, 24, 3)).astype(np.float64)
    assert psnr(img, img) == float('inf')
    assert psnr(img, img, crop_border=2, test_y_channel=True) == float('inf')
    assert ssim(img, img) == 1.0
    assert ssim(img, img, crop_border=2, test_y_channel=True) == 1.0


def test_ssim_of_constant_images_is_the_luminance_term():
    # Constant images: sigmas are 0, SSIM = (2 a b + C1) / (a^2 + b^2 + C1).
    a = np.full((11, 11), 100.0)
    b = np.full((11, 11), 110.0)
    assert ssim(a, b) == pytest.approx((2 * 100 * 110 + C1) / (100 ** 2 + 110 ** 2 + C1), abs=1e-12)


def test_ssim_hand_computed_with_structure():
    # 11x11 images (one 'valid' window). img1 = 0 except the centre pixel = 255; img2 = img1 / 2 (+ 0).
    # Gaussian weight of the centre: g0 = w(0)^2 with w the normalised 1-D Gaussian (sigma 1.5, 11 taps).
    w = np.exp(-(np.arange(11) - 5) ** 2 / (2 * 1.5 ** 2))
    g0 = (w[5] / w.sum()) ** 2
    img1 = np.zeros((11, 11))
    img1[5, 5] = 255.0
    img2 = img1 / 2
    mu1, mu2 = 255 * g0, 127.5 * g0
    s11, s22, s12 = 255 ** 2 * g0 - mu1 ** 2, 127.5 ** 2 * g0 - mu2 ** 2, 255 * 127.5 * g0 - mu1 * mu2
    expected = (2 * mu1 * mu2 + C1) * (2 * s12 + C2) / ((mu1 ** 2 + mu2 ** 2 + C1) * (s11 + s22 + C2))
    assert ssim(img1, img2) == pytest.approx(expected, abs=1e-12)
    # Per-channel average: channel 0 as above, channel 1 identical (SSIM 1).
    rgb1 = np.stack([img1, img1], axis=2)
    rgb2 = np.stack([img2, img1], axis=2)
    assert ssim(rgb1, rgb2) == pytest.approx((expected + 1) / 2, abs=1e-12)


def test_shape_errors():
    with pytest.raises(ValueError, match='shapes differ'):
        psnr(np.zeros((4, 4, 3)), np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match='at least 11x11'):
        ssim(np.zeros((12, 12, 3)), np.zeros((12, 12, 3)), crop_border=1)


@pytest.mark.data
@pytest.mark.parametrize('scale,expected_psnr', [(2, 33.66), (3, 30.39), (4, 28.42)])
def test_set5_bicubic_psnr_matches_literature(load_set5, scale, expected_psnr):
    """MATLAB-bicubic upscaling of Set5's LR images, PSNR on Y with crop_border = scale (SR papers' 'Bicubic' row)."""
    values = [psnr(imresize_np(lr, scale), hr, crop_border=scale, test_y_channel=True)
              for _, hr, lr in load_set5(scale)]
    measured = float(np.mean(values))
    print(f'Set5 bicubic x{scale}: PSNR-Y {measured:.4f} dB (literature {expected_psnr})')
    assert measured == pytest.approx(expected_psnr, abs=0.05)
