"""Parameter-free bicubic baseline."""
import torch
from torch import nn

from panguvision.registry import MODELS
from panguvision.utils.imresize import imresize


@MODELS.register_module()
class BicubicUpsampler(nn.Module):
    """MATLAB-compatible bicubic upscaling by ``upscale`` (the SR literature's "Bicubic" row).

    ``forward``: ``Tensor(N, 3, h, w)`` in ``[0, 1]`` -> ``Tensor(N, 3, h*s, w*s)``, not clamped (the SR wrapper
    clamps for evaluation).
    """

    def __init__(self, upscale: int = 4):
        super().__init__()
        if upscale < 1:
            raise ValueError(f'upscale must be >= 1, got {upscale}')
        self.upscale = int(upscale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        return imresize(x, output_shape=(h * self.upscale, w * self.upscale))
