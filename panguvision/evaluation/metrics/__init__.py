"""Metric classes; importing this package registers them in ``panguvision.registry.METRICS``."""
from .base_sr_metric import BaseSRMetric
from .depth_metric import DepthMetric
from .generation_metric import GenerationMetric
from .iqa_metric import PyIQAMetric
from .lidarseg_metric import NuScenesLidarSegMetric
from .niqe_metric import NIQE
from .psnr import PSNR
from .ssim import SSIM

__all__ = ['BaseSRMetric', 'PSNR', 'SSIM', 'DepthMetric']
__all__ += ['GenerationMetric']
__all__ += ['NuScenesLidarSegMetric']
__all__ += ['NIQE', 'PyIQAMetric']
