"""Full-reference image-quality measures of the super-resolution literature (MATLAB / BasicSR conventions).

All functions take ``(H, W, C)`` RGB (or ``(H, W)`` single-channel) arrays with values in ``[0, 255]`` and compute in
numpy float64.
"""
import numpy as np

__all__ = ['rgb2ycbcr', 'psnr', 'ssim']

# MATLAB rgb2ycbcr (ITU-R BT.601, studio swing): ycbcr = OFFSET + MATRIX @ rgb / 255 for rgb in [0, 255].
YCBCR_MATRIX = np.array([[65.481, 128.553, 24.966],
                         [-37.797, -74.203, 112.0],
                         [112.0, -93.786, -18.214]])
YCBCR_OFFSET = np.array([16.0, 128.0, 128.0])

SSIM_WINDOW_SIZE = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
MAX_VALUE = 255.0


def rgb2ycbcr(img: np.ndarray, y_only: bool = False) -> np.ndarray:
    """MATLAB's ``rgb2ycbcr`` for RGB images in ``[0, 255]``.

    ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` (range ``[16, 235]``), ``Cb``/``Cr`` in ``[16, 240]``.

    Args:
        img: ``(H, W, 3)`` RGB array, ``uint8`` or float, values in ``[0, 255]``.
        y_only: return only the luma, shape ``(H, W)``.

    Returns:
        ``(H, W, 3)`` YCbCr or ``(H, W)`` Y. ``uint8`` input gives ``uint8`` output rounded like MATLAB; any other
        input gives float64 output in ``[0, 255]`` units, unrounded (BasicSR's ``to_y_channel``).
    """
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'rgb2ycbcr expects an (H, W, 3) RGB array, got shape {img.shape}')
    rgb = img.astype(np.float64)
    matrix, offset = (YCBCR_MATRIX[:1], YCBCR_OFFSET[:1]) if y_only else (YCBCR_MATRIX, YCBCR_OFFSET)
    out = rgb @ (matrix.T / MAX_VALUE) + offset
    if y_only:
        out = out[..., 0]
    if img.dtype == np.uint8:
        return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
    return out


def _prepare_pair(img1: np.ndarray, img2: np.ndarray, crop_border: int, test_y_channel: bool):
    """Check shapes, crop ``crop_border`` pixels on each side, optionally keep only Y; returns float64 ``(H, W, C)``."""
    if img1.shape != img2.shape:
        raise ValueError(f'Image shapes differ: {img1.shape} vs {img2.shape}')
    if crop_border < 0:
        raise ValueError(f'crop_border must be >= 0, got {crop_border}')
    img1 = img1.astype(np.float64)
    img2 = img2.astype(np.float64)
    if img1.ndim == 2:
        img1, img2 = img1[..., None], img2[..., None]
    if crop_border > 0:
        img1 = img1[crop_border:-crop_border, crop_border:-crop_border]
        img2 = img2[crop_border:-crop_border, crop_border:-crop_border]
    if test_y_channel and img1.shape[2] == 3:
        img1 = rgb2ycbcr(img1, y_only=True)[..., None]
        img2 = rgb2ycbcr(img2, y_only=True)[..., None]
    if img1.shape[0] == 0 or img1.shape[1] == 0:
        raise ValueError(f'crop_border={crop_border} leaves an empty image')
    return img1, img2


def psnr(img1: np.ndarray, img2: np.ndarray, crop_border: int = 0, test_y_channel: bool = False) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(255^2 / MSE)``.

    Args:
        img1, img2: ``(H, W, C)`` or ``(H, W)`` arrays in ``[0, 255]`` (RGB when ``test_y_channel``).
        crop_border: pixels removed on every side before measuring (the SR convention is the scale factor).
        test_y_channel: measure on MATLAB's Y channel of YCbCr instead of all channels.

    Returns:
        PSNR in dB; ``inf`` for identical images.
    """
    img1, img2 = _prepare_pair(img1, img2, crop_border, test_y_channel)
    mse = np.mean((img1 - img2) ** 2)
    if mse == 0:
        return float('inf')
    return float(10.0 * np.log10(MAX_VALUE ** 2 / mse))


def _gaussian_window_1d(size: int = SSIM_WINDOW_SIZE, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """Normalised 1-D Gaussian; its outer product is MATLAB's ``fspecial('gaussian', size, sigma)``."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-x ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def _filter_valid(img: np.ndarray, window: np.ndarray) -> np.ndarray:
    """'valid' 2-D filtering of ``(H, W)`` with the separable window ``outer(window, window)``."""
    rows = np.lib.stride_tricks.sliding_window_view(img, window.size, axis=0) @ window
    return np.lib.stride_tricks.sliding_window_view(rows, window.size, axis=1) @ window


def _ssim_single_channel(img1: np.ndarray, img2: np.ndarray) -> float:
    """Mean SSIM map (Wang et al. 2004) of two ``(H, W)`` float64 images in ``[0, 255]``."""
    c1 = (SSIM_K1 * MAX_VALUE) ** 2
    c2 = (SSIM_K2 * MAX_VALUE) ** 2
    window = _gaussian_window_1d()
    mu1 = _filter_valid(img1, window)
    mu2 = _filter_valid(img2, window)
    mu1_sq, mu2_sq, mu1_mu2 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    sigma1_sq = _filter_valid(img1 * img1, window) - mu1_sq
    sigma2_sq = _filter_valid(img2 * img2, window) - mu2_sq
    sigma12 = _filter_valid(img1 * img2, window) - mu1_mu2
    ssim_map = ((2 * mu1_mu2 + c1) * (2 * sigma12 + c2)) / ((mu1_sq + mu2_sq + c1) * (sigma1_sq + sigma2_sq + c2))
    return float(ssim_map.mean())


def ssim(img1: np.ndarray, img2: np.ndarray, crop_border: int = 0, test_y_channel: bool = False) -> float:
    """Structural similarity as in MATLAB's ``ssim_index`` / BasicSR's ``calculate_ssim``.

    11x11 Gaussian window (sigma 1.5), ``C1 = (0.01 * 255)^2``, ``C2 = (0.03 * 255)^2``, 'valid' filtering (no
    padding, so the map is 10 pixels smaller in each dimension), computed per channel and averaged.

    Args:
        img1, img2: ``(H, W, C)`` or ``(H, W)`` arrays in ``[0, 255]``; after cropping at least 11x11.
        crop_border: pixels removed on every side before measuring.
        test_y_channel: measure on MATLAB's Y channel of YCbCr.

    Returns:
        SSIM in ``[-1, 1]``; ``1.0`` for identical images.
    """
    img1, img2 = _prepare_pair(img1, img2, crop_border, test_y_channel)
    if min(img1.shape[:2]) < SSIM_WINDOW_SIZE:
        raise ValueError(f'SSIM needs images of at least {SSIM_WINDOW_SIZE}x{SSIM_WINDOW_SIZE} after cropping, '
                         f'got {img1.shape[:2]}')
    return float(np.mean([_ssim_single_channel(img1[..., c], img2[..., c]) for c in range(img1.shape[2])]))
