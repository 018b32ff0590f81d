"""Metric classes; importing this package registers them in ``panguvision.registry.METRICS``."""
from .base_sr_metric import BaseSRMetric
from .depth_metric import DepthMetric
from .psnr import PSNR
from .ssim import SSIM

__all__ = ['BaseSRMetric', 'PSNR', 'SSIM', 'DepthMetric']
