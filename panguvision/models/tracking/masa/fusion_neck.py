"""MASA's dynamic feature fusion neck: blocks of DCNv2 spatial fusion across neighbouring pyramid levels."""
from typing import Sequence, Tuple

from mmdet.models.necks.dyhead import DyHeadBlock
from mmengine.model import BaseModule
from torch import Tensor, nn

from panguvision.registry import MODELS


@MODELS.register_module()
class DeformFusionNeck(BaseModule):
    """A stack of ``num_blocks`` DCNv2 fusion blocks over an FPN's output (MASA uses 3).

    Each block is mmdet's ``DyHeadBlock``: for every level, one offset/mask map (from that level) drives three
    modulated deformable convolutions (mmcv ``ModulatedDeformConv2d``, DCNv2) over the level below (stride 2), the
    level itself and the level above (upsampled); the three are weighted by a scale attention and averaged. MASA
    keeps the spatial and scale-aware parts only, so DyHead's task-aware DyReLU is replaced by identity unless
    ``task_attention=True``. A residual connection keeps the FPN features reachable from the start of training.

    Args:
        in_channels: channels of every input level (= output channels).
        num_blocks: number of fusion blocks.
        task_attention: keep DyHead's DyReLU task attention.
        residual: add each block's input to its output.

    Shapes: a tuple of ``L`` maps ``(B, C, H_l, W_l)`` with ``H_l = 2 H_{l+1}`` (an FPN's output) -> the same shapes.
    """

    def __init__(self, in_channels: int = 256, num_blocks: int = 3, task_attention: bool = False,
                 residual: bool = True, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.residual = residual
        self.blocks = nn.ModuleList()
        for _ in range(num_blocks):
            block = DyHeadBlock(in_channels, in_channels, zero_init_offset=True)
            if not task_attention:
                block.task_attn_module = nn.Identity()
            self.blocks.append(block)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        if not isinstance(inputs, (tuple, list)):
            raise TypeError(f'DeformFusionNeck expects a tuple of pyramid levels, got {type(inputs).__name__}')
        feats = list(inputs)
        for block in self.blocks:
            out = block(feats)
            feats = [o + f for o, f in zip(out, feats)] if self.residual else list(out)
        return tuple(feats)
