"""HiT-SRF: SRFormer-Light converted to a hierarchical transformer (HiT-SR, Zhang et al., ECCV 2024).

State-dict keys and shapes follow the official release (github.com/XiangZ-0/HiT-SR,
``basicsr/archs/hit_srf_arch.py``, class ``HiT_SRF``) so the authors' weights load unchanged.
"""
import torch
import torch.nn as nn

from panguvision.registry import MODELS
from .layers import SCC, HiTSRBase, Mlp, nhwc_conv


class DWConv(nn.Module):
    """Depthwise 5x5 convolution followed by GELU on (B, H, W, C) maps."""

    def __init__(self, hidden_features: int):
        super().__init__()
        self.hidden_features = hidden_features
        self.depthwise_conv = nn.Sequential(
            nn.Conv2d(hidden_features, hidden_features, 5, 1, 2, groups=hidden_features), nn.GELU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nhwc_conv(self.depthwise_conv, x)


class ConvFFN(Mlp):
    """fc1 -> GELU -> ``x + dwconv(x)`` -> drop -> fc2 -> drop, on (B, H, W, C) maps."""

    def __init__(self, in_features: int, hidden_features=None, out_features=None, act_layer=nn.GELU, drop=0.):
        super().__init__(in_features, hidden_features, out_features, act_layer, drop)
        self.dwconv = DWConv(self.fc1.out_features)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.dwconv(x)


@MODELS.register_module()
class HiTSRF(HiTSRBase):
    """HiT-SRF network: SCC blocks with a convolutional feed-forward (depthwise 5x5 inside the MLP).

    ``forward(x)``: x (N, 3, H, W) float RGB in [0, 1] -> (N, 3, H * upscale, W * upscale). Each block reflect-pads
    the map to a multiple of its window; pads larger than the map keep reflecting (the reference code pads in two
    reflect steps and gives the same values where it works). Constructor arguments: see :class:`HiTSRBase`.
    """

    block_kwargs = dict(scc_cls=SCC, ffn_cls=ConvFFN, pad_factor=1)
