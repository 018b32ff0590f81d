"""Evaluation: metric classes (registered in ``METRICS``) and their numpy functional core."""
from . import functional, metrics  # noqa: F401  (importing ``metrics`` registers the metric classes)
from .functional import psnr, rgb2ycbcr, ssim
from .metrics import PSNR, SSIM, DepthMetric

__all__ = ['PSNR', 'SSIM', 'DepthMetric', 'psnr', 'rgb2ycbcr', 'ssim']
