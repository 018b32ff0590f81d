"""Framework-free metric computations on numpy arrays."""
from .image_quality import psnr, rgb2ycbcr, ssim

__all__ = ['psnr', 'rgb2ycbcr', 'ssim']
