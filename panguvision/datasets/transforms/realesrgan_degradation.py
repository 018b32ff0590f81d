"""Real-ESRGAN's second-order degradation model (Wang et al., "Real-ESRGAN: Training Real-World Blind
Super-Resolution with Pure Synthetic Data", ICCV-W 2021), the training degradation of EAM / DSPO / OSEDiff.

One pass makes an LQ image from an HQ one:

1. first stage: blur (random kernel of :mod:`.degradation_kernels`, or a sinc kernel with ``sinc_prob``), random
   resize (up / down / keep with area / bilinear / bicubic), Gaussian or Poisson noise (colour or grey), JPEG;
2. second stage: the same with its own ranges (blur applied with ``blur_prob``, resize relative to the final LQ size);
3. final: resize to ``HQ / scale`` plus a sinc filter (with ``final_sinc_prob``) and JPEG, in random order;
4. clip to ``[0, 1]`` and round to 8 bits.

Implementation: numpy + OpenCV on the CPU, one image at a time, inside the data pipeline (the published code runs
the same steps batched on the GPU in the model's ``feed_data``). Done per sample so that each sample's degradation
depends only on its own seed, whatever the batch size, worker count or device, and so that any SR model can train on
real-world pairs without knowing about the degradation. OpenCV's ``INTER_AREA/LINEAR/CUBIC`` stand for torch's
``area/bilinear/bicubic`` (same half-pixel sample mapping; ``cubic`` with ``a = -0.75`` in both).

Randomness: when ``results['sample_seed']`` is set (by :class:`panguvision.datasets.SeededSampleDataset`) every draw
comes from ``numpy.random.default_rng([sample_seed, salt])`` with a per-transform ``salt``, so a dataset item is
identical across runs and worker counts; otherwise one seed is drawn from numpy's global RNG (seeded by mmengine).
Images are ``(H, W, 3)`` RGB; in between the steps they are float32 in ``[0, 1]`` (not clipped except before JPEG).
"""
import math
import zlib
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from panguvision.registry import TRANSFORMS
from .degradation_kernels import KERNEL_TYPES, pulse_kernel, random_mixed_kernel, random_sinc_kernel

__all__ = [
    'FIRST_STAGE_DEFAULTS', 'SECOND_STAGE_DEFAULTS', 'RESIZE_MODES', 'sample_rng', 'filter2d', 'random_resize',
    'add_gaussian_noise', 'add_poisson_noise', 'jpeg_compress', 'RandomHRCrop', 'RealESRGANDegradation'
]

RESIZE_MODES = dict(area=cv2.INTER_AREA, bilinear=cv2.INTER_LINEAR, bicubic=cv2.INTER_CUBIC)

# Published settings of Real-ESRGAN x4 (also those of OSEDiff / SeeSR / DSPO; ANCHORS.md, DSPO section).
FIRST_STAGE_DEFAULTS = dict(
    blur_prob=1.0,  # the first stage always blurs
    kernel_list=KERNEL_TYPES,
    kernel_prob=(0.45, 0.25, 0.12, 0.03, 0.12, 0.03),
    sinc_prob=0.1,
    blur_sigma=(0.2, 3.0),
    betag_range=(0.5, 4.0),
    betap_range=(1.0, 2.0),
    resize_prob=(0.2, 0.7, 0.1),  # up, down, keep
    resize_range=(0.15, 1.5),
    gaussian_noise_prob=0.5,
    noise_range=(1.0, 30.0),  # Gaussian sigma, in 8-bit grey levels
    poisson_scale_range=(0.05, 3.0),
    gray_noise_prob=0.4,
    jpeg_range=(30, 95),
)
SECOND_STAGE_DEFAULTS = dict(
    FIRST_STAGE_DEFAULTS,
    blur_prob=0.8,
    blur_sigma=(0.2, 1.5),
    resize_prob=(0.3, 0.4, 0.3),
    resize_range=(0.3, 1.2),
    noise_range=(1.0, 25.0),
    poisson_scale_range=(0.05, 2.5),
)


def sample_rng(results: dict, salt: str) -> np.random.Generator:
    """The generator of one transform for one sample: from ``results['sample_seed']`` and ``salt`` when present,
    else from a seed drawn from numpy's global RNG."""
    seed = results.get('sample_seed')
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    return np.random.default_rng([int(seed), zlib.crc32(salt.encode())])


def filter2d(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve every channel of ``(H, W, C)`` float32 ``img`` with ``kernel`` (reflect-101 borders), same size."""
    flipped = np.ascontiguousarray(kernel[::-1, ::-1], dtype=np.float32)  # filter2D correlates; flip to convolve
    out = cv2.filter2D(img, -1, flipped, borderType=cv2.BORDER_REFLECT_101)
    return out.reshape(img.shape)


def _resize(img: np.ndarray, size_hw: Tuple[int, int], mode: str) -> np.ndarray:
    h, w = max(1, int(size_hw[0])), max(1, int(size_hw[1]))
    out = cv2.resize(img, (w, h), interpolation=RESIZE_MODES[mode])
    return out.reshape(h, w, img.shape[2])


def random_resize(img: np.ndarray, rng: np.random.Generator, resize_prob: Sequence[float],
                  resize_range: Tuple[float, float], base_hw: Optional[Tuple[int, int]] = None,
                  modes: Sequence[str] = tuple(RESIZE_MODES)) -> Tuple[np.ndarray, dict]:
    """Resize by a random factor: up ``U(1, high)``, down ``U(low, 1)`` or keep (probabilities ``resize_prob``),
    with a random interpolation from ``modes``. The output size is ``int(base * factor)`` with ``base`` the image's own
    size, or ``base_hw`` (the second stage resizes relative to the final LQ size). Returns ``(image, params)``."""
    choice = rng.choice(3, p=np.asarray(resize_prob, dtype=np.float64) / np.sum(resize_prob))
    low, high = resize_range
    factor = (rng.uniform(1.0, high), rng.uniform(low, 1.0), 1.0)[choice]
    mode = modes[rng.integers(len(modes))]
    base_h, base_w = img.shape[:2] if base_hw is None else base_hw
    out = _resize(img, (int(base_h * factor), int(base_w * factor)), mode)
    return out, dict(factor=factor, mode=mode)


def add_gaussian_noise(img: np.ndarray, rng: np.random.Generator, sigma: float, gray: bool) -> np.ndarray:
    """Add zero-mean Gaussian noise of standard deviation ``sigma`` (8-bit grey levels) to a ``[0, 1]`` image; grey
    noise is one field shared by the three channels."""
    h, w, c = img.shape
    noise = rng.standard_normal((h, w, 1 if gray else c)).astype(np.float32) * np.float32(sigma / 255.0)
    return img + noise


def add_poisson_noise(img: np.ndarray, rng: np.random.Generator, scale: float, gray: bool) -> np.ndarray:
    """Add ``scale`` times Poisson (shot) noise. The photon count is ``2^ceil(log2(n))`` levels for ``n`` distinct
    8-bit values in the image (as Real-ESRGAN); grey noise is drawn on the luma and shared by the channels."""
    clean = np.clip(np.round(img * 255.0), 0, 255) / 255.0
    if gray:
        clean = cv2.cvtColor(clean.astype(np.float32), cv2.COLOR_RGB2GRAY)[..., None]
    levels = 2.0**math.ceil(math.log2(max(len(np.unique(clean)), 2)))
    noise = rng.poisson(clean * levels) / levels - clean
    return img + (noise * scale).astype(np.float32)


def jpeg_compress(img: np.ndarray, quality: int) -> np.ndarray:
    """JPEG round trip through OpenCV (libjpeg) of a ``[0, 1]`` RGB float image at ``quality`` (1-100); the image
    is clipped and quantised to 8 bits first, as a real encoder sees it."""
    img8 = np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)
    bgr = cv2.cvtColor(img8, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode('.jpg', bgr, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    if not ok:
        raise RuntimeError(f'cv2.imencode failed to write a JPEG of shape {img.shape} at quality {quality}')
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def _merge_stage(defaults: dict, overrides: Optional[dict], name: str) -> dict:
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise KeyError(f'RealESRGANDegradation: unknown keys {unknown} in {name}; expected some of {sorted(defaults)}')
    cfg = {**defaults, **overrides}
    for key in ('kernel_prob', 'resize_prob'):
        if min(cfg[key]) < 0 or sum(cfg[key]) <= 0:
            raise ValueError(f'RealESRGANDegradation: {name}["{key}"]={cfg[key]} must be non-negative, not all zero')
    if len(cfg['resize_prob']) != 3:
        raise ValueError(f'RealESRGANDegradation: {name}["resize_prob"] needs 3 entries (up, down, keep), got '
                         f'{cfg["resize_prob"]}')
    return cfg


@TRANSFORMS.register_module()
class RandomHRCrop(BaseTransform):
    """Random square crop of ``results['gt']`` plus the dihedral augmentation (horizontal flip, transpose), seeded
    per sample (see the module docstring). For HR-only data, before :class:`RealESRGANDegradation`.

    Args:
        patch_size: side of the HR crop, pixels (a multiple of the SR scale keeps the LQ aligned).
        hflip_prob: probability of a left-right flip.
        transpose_prob: probability of swapping H and W (with the flips: all 8 dihedral transforms).
    """

    def __init__(self, patch_size: int, hflip_prob: float = 0.5, transpose_prob: float = 0.5) -> None:
        self.patch_size = int(patch_size)
        self.hflip_prob = hflip_prob
        self.transpose_prob = transpose_prob

    def transform(self, results: dict) -> dict:
        gt = results.get('gt')
        if gt is None:
            raise KeyError(f'RandomHRCrop needs results["gt"] (img_id={results.get("img_id")!r}); load it first')
        rng = sample_rng(results, type(self).__name__)
        h, w = gt.shape[:2]
        size = self.patch_size
        if h < size or w < size:
            raise ValueError(f'RandomHRCrop: GT {results.get("gt_path") or results.get("img_id")!r} has shape '
                             f'{(h, w)}, smaller than patch_size={size}')
        top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
        patch = gt[top:top + size, left:left + size]
        if rng.uniform() < self.hflip_prob:
            patch = patch[:, ::-1]
        if rng.uniform() < self.transpose_prob:
            patch = patch.swapaxes(0, 1)
        results['gt'] = np.ascontiguousarray(patch)
        results['crop_box'] = (top, left, size, size)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(patch_size={self.patch_size})'


@TRANSFORMS.register_module()
class RealESRGANDegradation(BaseTransform):
    """Make ``results['lq']`` (uint8, ``(H / scale, W / scale, 3)``) from ``results['gt']`` (uint8 ``(H, W, 3)``,
    H and W multiples of ``scale``) with the second-order degradation; the drawn parameters go to
    ``results['degradation']``. Defaults are the published ones (:data:`FIRST_STAGE_DEFAULTS`,
    :data:`SECOND_STAGE_DEFAULTS`).

    Args:
        scale: SR factor (HQ size / LQ size); ``None`` uses ``results['scale']``.
        first_stage: overrides of :data:`FIRST_STAGE_DEFAULTS` (``blur_prob``, ``kernel_list``, ``kernel_prob``,
            ``sinc_prob``, ``blur_sigma``, ``betag_range``, ``betap_range``, ``resize_prob``, ``resize_range``,
            ``gaussian_noise_prob``, ``noise_range``, ``poisson_scale_range``, ``gray_noise_prob``, ``jpeg_range``).
        second_stage: overrides of :data:`SECOND_STAGE_DEFAULTS` (same keys).
        kernel_range: odd kernel sides drawn uniformly from ``range(low, high + 1, 2)``.
        kernel_pad: every kernel is zero-padded to this side (21 as published).
        final_sinc_prob: probability of the final sinc filter (otherwise the identity).
        final_sinc_cutoff: uniform range of the final sinc cut-off, radians per pixel.
        resize_modes: interpolations drawn uniformly at each resize.
        force: replace an existing ``lq`` (by default a loaded LQ is kept, as ``BicubicDegrade`` does).
    """

    def __init__(self,
                 scale: Optional[int] = None,
                 first_stage: Optional[dict] = None,
                 second_stage: Optional[dict] = None,
                 kernel_range: Tuple[int, int] = (7, 21),
                 kernel_pad: int = 21,
                 final_sinc_prob: float = 0.8,
                 final_sinc_cutoff: Tuple[float, float] = (math.pi / 3, math.pi),
                 resize_modes: Sequence[str] = ('area', 'bilinear', 'bicubic'),
                 force: bool = False) -> None:
        self.scale = scale
        self.first_stage = _merge_stage(FIRST_STAGE_DEFAULTS, first_stage, 'first_stage')
        self.second_stage = _merge_stage(SECOND_STAGE_DEFAULTS, second_stage, 'second_stage')
        low, high = kernel_range
        if low % 2 == 0 or high % 2 == 0 or not 1 <= low <= high <= kernel_pad:
            raise ValueError(f'kernel_range={kernel_range} must be two odd sides with low <= high <= kernel_pad='
                             f'{kernel_pad}')
        self.kernel_sizes = tuple(range(low, high + 1, 2))
        self.kernel_pad = int(kernel_pad)
        self.final_sinc_prob = final_sinc_prob
        self.final_sinc_cutoff = tuple(final_sinc_cutoff)
        bad = sorted(set(resize_modes) - set(RESIZE_MODES))
        if bad or not resize_modes:
            raise ValueError(f'resize_modes {list(resize_modes)}: each must be one of {sorted(RESIZE_MODES)}')
        self.resize_modes = tuple(resize_modes)
        self.force = force

    # ------------------------------------------------------------------ kernels
    def _blur_kernel(self, rng: np.random.Generator, cfg: dict) -> Tuple[np.ndarray, dict]:
        size = int(rng.choice(self.kernel_sizes))
        if rng.uniform() < cfg['sinc_prob']:
            kernel, cutoff = random_sinc_kernel(rng, size, pad_to=self.kernel_pad)
            return kernel, dict(type='sinc', size=size, cutoff=cutoff)
        kernel, params = random_mixed_kernel(
            rng, size, cfg['kernel_list'], cfg['kernel_prob'], tuple(cfg['blur_sigma']),
            betag_range=tuple(cfg['betag_range']), betap_range=tuple(cfg['betap_range']))
        pad = (self.kernel_pad - size) // 2
        return np.pad(kernel, pad), dict(params, size=size)

    # ------------------------------------------------------------------ stages
    def _stage(self, img: np.ndarray, rng: np.random.Generator, cfg: dict, base_hw: Optional[Tuple[int, int]],
               log: dict) -> np.ndarray:
        """Blur, resize, noise, JPEG: one degradation order."""
        if rng.uniform() < cfg['blur_prob']:
            kernel, log['blur'] = self._blur_kernel(rng, cfg)
            img = filter2d(img, kernel)
        else:
            log['blur'] = None
        img, log['resize'] = random_resize(img, rng, cfg['resize_prob'], cfg['resize_range'], base_hw,
                                           self.resize_modes)
        gray = bool(rng.uniform() < cfg['gray_noise_prob'])
        if rng.uniform() < cfg['gaussian_noise_prob']:
            sigma = rng.uniform(*cfg['noise_range'])
            img = add_gaussian_noise(img, rng, sigma, gray)
            log['noise'] = dict(type='gaussian', sigma=sigma, gray=gray)
        else:
            scale = rng.uniform(*cfg['poisson_scale_range'])
            img = add_poisson_noise(img, rng, scale, gray)
            log['noise'] = dict(type='poisson', scale=scale, gray=gray)
        log['jpeg_quality'] = int(round(rng.uniform(*cfg['jpeg_range'])))
        return jpeg_compress(img, log['jpeg_quality'])

    def degrade(self, gt: np.ndarray, scale: int, rng: np.random.Generator) -> Tuple[np.ndarray, dict]:
        """Degrade one ``(H, W, 3)`` uint8 image; returns the uint8 ``(H / scale, W / scale, 3)`` LQ and the log."""
        h, w = gt.shape[:2]
        lq_hw = (h // scale, w // scale)
        log: Dict[str, dict] = dict(first={}, second={}, final={})
        img = gt.astype(np.float32) / 255.0
        img = self._stage(img, rng, self.first_stage, None, log['first'])
        img = self._stage(img, rng, self.second_stage, lq_hw, log['second'])

        final = log['final']
        if rng.uniform() < self.final_sinc_prob:
            size = int(rng.choice(self.kernel_sizes))
            sinc, cutoff = random_sinc_kernel(rng, size, self.kernel_pad, self.final_sinc_cutoff)
            final['sinc'] = dict(size=size, cutoff=cutoff)
        else:
            sinc, final['sinc'] = pulse_kernel(self.kernel_pad), None
        mode = self.resize_modes[rng.integers(len(self.resize_modes))]
        quality = int(round(rng.uniform(*self.second_stage['jpeg_range'])))
        final.update(mode=mode, jpeg_quality=quality, order='resize_sinc_jpeg' if rng.uniform() < 0.5 else
                     'jpeg_resize_sinc')
        if final['order'] == 'resize_sinc_jpeg':
            img = jpeg_compress(filter2d(_resize(img, lq_hw, mode), sinc), quality)
        else:
            img = filter2d(_resize(jpeg_compress(img, quality), lq_hw, mode), sinc)
        lq = np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)
        return lq, log

    def transform(self, results: dict) -> dict:
        if results.get('lq') is not None and not self.force:
            return results
        gt = results.get('gt')
        if gt is None:
            raise KeyError(f'RealESRGANDegradation needs results["gt"] (img_id={results.get("img_id")!r})')
        scale = int(self.scale if self.scale is not None else results.get('scale', 0))
        if scale < 1:
            raise KeyError(f'RealESRGANDegradation: no scale given and results has no "scale" '
                           f'(img_id={results.get("img_id")!r})')
        h, w = gt.shape[:2]
        if gt.ndim != 3 or gt.shape[2] != 3 or gt.dtype != np.uint8:
            raise ValueError(f'RealESRGANDegradation expects an (H, W, 3) uint8 GT, got {gt.shape} {gt.dtype} for '
                             f'{results.get("gt_path") or results.get("img_id")!r}')
        if h % scale or w % scale:
            raise ValueError(f'RealESRGANDegradation: GT of {results.get("img_id")!r} has shape {(h, w)}, not a '
                             f'multiple of scale={scale}; crop it (ModCrop or RandomHRCrop) first')
        results['lq'], results['degradation'] = self.degrade(gt, scale, sample_rng(results, type(self).__name__))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, kernel_sizes={self.kernel_sizes}, '
                f'final_sinc_prob={self.final_sinc_prob})')
