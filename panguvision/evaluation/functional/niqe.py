"""NIQE, the Natural Image Quality Evaluator (Mittal, Soundararajan and Bovik, IEEE SPL 2013): a no-reference score,
lower is better.

Following the paper and its MATLAB release: the grey image is normalised into MSCN coefficients (local mean and
deviation from a 7x7 Gaussian window with sigma 7/6, ``(I - mu) / (sigma + 1)``); on every non-overlapping 96x96
block, at the full and at half resolution (MATLAB bicubic ``imresize``), 18 natural-scene statistics are measured: an
asymmetric generalised Gaussian (AGGD) fit of the coefficients (shape, mean of the two deviations) and of their
products with the 4 neighbours (horizontal, vertical, both diagonals; shape, mean, two variances). The 36-d block
features are modelled by a multivariate Gaussian (MVG); NIQE is the distance
``sqrt((mu_p - mu_d)^T ((Sigma_p + Sigma_d) / 2)^+ (mu_p - mu_d))`` between that MVG and the one of pristine images.

The pristine MVG published with the MATLAB release is loaded from a file (:func:`load_niqe_params`): the BasicSR
wheel ships it (``basicsr/metrics/niqe_pris_params.npz``), or pass MATLAB's ``modelparameters.mat``.
:func:`fit_niqe_model` fits a pristine MVG from your own images with the release's sharpness rule.

The algorithm is written here because none of the installed libraries (scikit-image, OpenCV, scipy, torchmetrics)
provides NIQE; scipy supplies the gamma function.
"""
import importlib.util
import os
import os.path as osp
from typing import Iterable, Optional, Tuple, Union

import numpy as np

from panguvision.utils.imresize import imresize_np
from .image_quality import rgb2ycbcr

__all__ = [
    'NIQE_BLOCK_SIZE', 'mscn', 'aggd_fit', 'niqe_block_features', 'niqe_features', 'niqe', 'load_niqe_params',
    'fit_niqe_model', 'to_luma'
]

NIQE_BLOCK_SIZE = 96
_WINDOW_SIZE, _WINDOW_SIGMA = 7, 7.0 / 6.0
# MATLAB rgb2gray: the luma row of the inverse NTSC (YIQ) transform.
_RGB2GRAY = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])
# Candidate AGGD shapes and their moment ratio r(a) = Gamma(2/a)^2 / (Gamma(1/a) Gamma(3/a)), as in the release.
_SHAPES = np.round(0.2 + 0.001 * np.arange(9801), 3)  # MATLAB 0.2:0.001:10
_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))  # (rows, cols) of MATLAB's circshift: H, V, main and second diagonal


def _shape_ratio_table() -> np.ndarray:
    from scipy.special import gamma
    return gamma(2.0 / _SHAPES)**2 / (gamma(1.0 / _SHAPES) * gamma(3.0 / _SHAPES))


_RATIO_TABLE = None


def _gaussian_window() -> np.ndarray:
    ax = np.arange(_WINDOW_SIZE) - (_WINDOW_SIZE - 1) / 2
    g = np.exp(-(ax[:, None]**2 + ax[None, :]**2) / (2 * _WINDOW_SIGMA**2))
    return g / g.sum()


def to_luma(img: np.ndarray, convert: str = 'y') -> np.ndarray:
    """``(H, W, 3)`` RGB (uint8 or float in ``[0, 255]``) or ``(H, W)`` grey -> ``(H, W)`` float64 luma in
    ``[0, 255]``: ``'y'`` is MATLAB's ``rgb2ycbcr`` Y (BasicSR's convention), ``'gray'`` MATLAB's ``rgb2gray``; both
    rounded to integers like MATLAB does for 8-bit images."""
    if img.ndim == 2:
        return img.astype(np.float64)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'NIQE expects an (H, W, 3) RGB or (H, W) grey image, got shape {img.shape}')
    if convert == 'y':
        return np.round(rgb2ycbcr(img.astype(np.float64), y_only=True))
    if convert == 'gray':
        return np.round(img.astype(np.float64) @ _RGB2GRAY)
    raise ValueError(f"convert must be 'y' or 'gray', got {convert!r}")


def mscn(img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Mean-subtracted contrast-normalised coefficients of a ``(H, W)`` float64 image in ``[0, 255]``.

    Returns ``(coefficients, sigma)``, both ``(H, W)``; the local statistics use a 7x7 Gaussian (sigma 7/6) with
    replicated borders, as MATLAB's ``imfilter(..., 'replicate')``.
    """
    import cv2
    window = _gaussian_window()
    mu = cv2.filter2D(img, cv2.CV_64F, window, borderType=cv2.BORDER_REPLICATE)
    sigma = np.sqrt(np.abs(cv2.filter2D(img * img, cv2.CV_64F, window, borderType=cv2.BORDER_REPLICATE) - mu * mu))
    return (img - mu) / (sigma + 1.0), sigma


def aggd_fit(x: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Moment-matching fit of an asymmetric generalised Gaussian to each row of ``x`` (``(N, M)``).

    Returns ``(shape, left_scale, right_scale)``, each ``(N,)``: the shape is the table entry in ``[0.2, 10]`` (step
    0.001) closest to the data's normalised moment ratio; the scales are the one-sided deviations times
    ``sqrt(Gamma(1/shape) / Gamma(3/shape))`` (NaN when a row has no negative / positive value).
    """
    from scipy.special import gamma
    global _RATIO_TABLE
    if _RATIO_TABLE is None:
        _RATIO_TABLE = _shape_ratio_table()
    x = np.atleast_2d(x)
    neg, pos = x < 0, x > 0
    with np.errstate(invalid='ignore', divide='ignore'):
        left = np.sqrt((x**2 * neg).sum(1) / neg.sum(1))
        right = np.sqrt((x**2 * pos).sum(1) / pos.sum(1))
        gamma_hat = left / right
        r_hat = np.abs(x).mean(1)**2 / (x**2).mean(1)
        r_norm = r_hat * (gamma_hat**3 + 1) * (gamma_hat + 1) / (gamma_hat**2 + 1)**2
    shape = _SHAPES[np.argmin((_RATIO_TABLE[None, :] - r_norm[:, None])**2, axis=1)]
    to_scale = np.sqrt(gamma(1 / shape) / gamma(3 / shape))
    return shape, left * to_scale, right * to_scale


def niqe_block_features(coef: np.ndarray, block: int) -> np.ndarray:
    """18 NIQE features of each non-overlapping ``block x block`` block of MSCN ``coef`` (``(H, W)``, H and W multiples
    of ``block``), row-major block order. Returns ``(num_blocks, 18)``: AGGD shape and mean scale of the coefficients,
    then for each neighbour product (shape, mean, left scale, right scale)."""
    from scipy.special import gamma
    h, w = coef.shape
    blocks = coef.reshape(h // block, block, w // block, block).transpose(0, 2, 1, 3).reshape(-1, block, block)
    shape, left, right = aggd_fit(blocks.reshape(len(blocks), -1))
    feats = [shape, (left + right) / 2]
    for shift in _SHIFTS:
        pair = (blocks * np.roll(blocks, shift, axis=(1, 2))).reshape(len(blocks), -1)  # circular within the block
        shape, left, right = aggd_fit(pair)
        feats += [shape, (right - left) * gamma(2 / shape) / gamma(1 / shape), left, right]
    return np.stack(feats, axis=1)


def niqe_features(luma: np.ndarray, block: int = NIQE_BLOCK_SIZE, return_sharpness: bool = False):
    """``(num_blocks, 36)`` features of a ``(H, W)`` luma image: 18 at full resolution (``block``) and 18 at half
    resolution (``block / 2``), on the image cropped to a multiple of ``block``. With ``return_sharpness`` also the
    mean local deviation of each full-resolution block (the pristine-patch selection of :func:`fit_niqe_model`)."""
    h, w = luma.shape
    h, w = h - h % block, w - w % block
    if h == 0 or w == 0:
        raise ValueError(f'NIQE needs an image of at least {block}x{block} pixels, got {luma.shape}')
    img = luma[:h, :w].astype(np.float64)
    feats, sharpness = [], None
    for level in (1, 2):
        coef, sigma = mscn(img)
        feats.append(niqe_block_features(coef, block // level))
        if level == 1:
            sharpness = sigma.reshape(h // block, block, w // block, block).mean(axis=(1, 3)).ravel()
            img = imresize_np(img, scale=0.5)  # MATLAB bicubic with antialiasing, kept in float
    feats = np.concatenate(feats, axis=1)
    return (feats, sharpness) if return_sharpness else feats


def _nan_mean_cov(feats: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """MATLAB's ``nanmean`` (per column) and ``nancov`` (rows with any NaN dropped, N - 1 normalisation)."""
    mu = np.nanmean(feats, axis=0)
    rows = feats[~np.isnan(feats).any(axis=1)]
    if len(rows) < 2:
        raise ValueError(f'NIQE: {len(rows)} valid block(s); the image is too small or too flat for a covariance')
    return mu, np.cov(rows, rowvar=False)


def niqe(img: np.ndarray,
         params: Optional[Tuple[np.ndarray, np.ndarray]] = None,
         crop_border: int = 0,
         convert: str = 'y',
         block: int = NIQE_BLOCK_SIZE) -> float:
    """NIQE score (lower is better) of one image.

    Args:
        img: ``(H, W, 3)`` RGB or ``(H, W)`` grey, values in ``[0, 255]``; at least ``block`` pixels each way.
        params: pristine ``(mu (36,), cov (36, 36))``; ``None`` loads the published ones (:func:`load_niqe_params`).
        crop_border: pixels removed on every side first.
        convert: RGB to luma, ``'y'`` (MATLAB ``rgb2ycbcr``, as BasicSR) or ``'gray'`` (MATLAB ``rgb2gray``, as the
            MATLAB release's demo).
        block: block side at full resolution (96 in the paper).
    """
    mu_p, cov_p = load_niqe_params() if params is None else params
    if crop_border:
        img = img[crop_border:-crop_border, crop_border:-crop_border]
    mu_d, cov_d = _nan_mean_cov(niqe_features(to_luma(img, convert), block))
    diff = mu_p - mu_d
    return float(np.sqrt(diff @ np.linalg.pinv((cov_p + cov_d) / 2) @ diff))


def fit_niqe_model(images: Iterable[np.ndarray],
                   sharpness_threshold: float = 0.75,
                   convert: str = 'y',
                   block: int = NIQE_BLOCK_SIZE) -> Tuple[np.ndarray, np.ndarray]:
    """Pristine MVG ``(mu (36,), cov (36, 36))`` from clean images, as the release's ``estimatemodelparam``: per
    image, keep the blocks whose mean local deviation exceeds ``sharpness_threshold`` times the image's sharpest
    block, then take the mean and covariance of all kept blocks' features."""
    kept = []
    for img in images:
        feats, sharpness = niqe_features(to_luma(img, convert), block, return_sharpness=True)
        kept.append(feats[sharpness > sharpness_threshold * sharpness.max()])
    if not kept:
        raise ValueError('fit_niqe_model needs at least one image')
    return _nan_mean_cov(np.concatenate(kept))


def _basicsr_params_file() -> Optional[str]:
    """Path of BasicSR's ``niqe_pris_params.npz`` when the package is installed (found without importing it)."""
    spec = importlib.util.find_spec('basicsr')
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = osp.join(location, 'metrics', 'niqe_pris_params.npz')
        if osp.isfile(path):
            return path
    return None


def load_niqe_params(path: Optional[Union[str, os.PathLike]] = None) -> Tuple[np.ndarray, np.ndarray]:
    """The pristine NIQE model ``(mu (36,), cov (36, 36))``.

    Args:
        path: an ``.npz`` with ``mu_pris_param`` / ``cov_pris_param`` (BasicSR's file) or the MATLAB release's
            ``modelparameters.mat`` (``mu_prisparam`` / ``cov_prisparam``). ``None``: BasicSR's file from the installed
            ``basicsr`` package.
    """
    if path is None:
        path = _basicsr_params_file()
        if path is None:
            raise FileNotFoundError(
                'NIQE needs the published pristine model parameters: install the basicsr package, which ships '
                'basicsr/metrics/niqe_pris_params.npz (pip install --no-deps basicsr==1.4.2), or pass the path of '
                "that file or of the MATLAB release's modelparameters.mat")
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'NIQE parameter file {path!r} does not exist')
    if path.endswith('.mat'):
        from scipy.io import loadmat
        data, keys = loadmat(path), ('mu_prisparam', 'cov_prisparam')
    else:
        data, keys = np.load(path), ('mu_pris_param', 'cov_pris_param')
    missing = [k for k in keys if k not in data]
    if missing:
        raise KeyError(f'NIQE parameter file {path!r} lacks {missing}; expected the keys {keys}')
    mu, cov = np.asarray(data[keys[0]], np.float64).ravel(), np.asarray(data[keys[1]], np.float64)
    if mu.shape != (36, ) or cov.shape != (36, 36):
        raise ValueError(f'NIQE parameter file {path!r}: expected mu (36,) and cov (36, 36), got {mu.shape} and '
                         f'{cov.shape}')
    return mu, cov
