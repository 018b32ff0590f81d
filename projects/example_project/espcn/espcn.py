"""ESPCN (Shi et al., CVPR 2016), as an example of a generator registered from outside the package."""
import torch
from torch import nn

from panguvision.registry import MODELS


@MODELS.register_module()
class ESPCN(nn.Module):
    """Efficient sub-pixel CNN: three convolutions in LR space, then a pixel shuffle.

    ``forward``: ``Tensor(N, 3, h, w)`` in ``[0, 1]`` -> ``Tensor(N, 3, h*s, w*s)``.

    Args:
        upscale: upscaling factor ``s``.
        mid_channels: width of the first two layers (64 and ``mid_channels // 2`` in the paper).
    """

    def __init__(self, upscale: int = 4, mid_channels: int = 64):
        super().__init__()
        self.upscale = upscale
        self.body = nn.Sequential(
            nn.Conv2d(3, mid_channels, 5, padding=2), nn.Tanh(),
            nn.Conv2d(mid_channels, mid_channels // 2, 3, padding=1), nn.Tanh(),
            nn.Conv2d(mid_channels // 2, 3 * upscale**2, 3, padding=1))
        self.shuffle = nn.PixelShuffle(upscale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.body(x))
