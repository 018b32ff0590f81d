"""Metric classes; importing this package registers them in ``panguvision.registry.METRICS``."""
from .base_sr_metric import BaseSRMetric, tensor_to_image
from .depth_metric import DepthMetric
from .psnr import PSNR
from .ssim import SSIM

__all__ = ['BaseSRMetric', 'PSNR', 'SSIM', 'tensor_to_image', 'DepthMetric']
