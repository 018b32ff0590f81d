"""SAM's ViT image encoder as a detection backbone, and a ViTDet-style simple feature pyramid on its output."""
from typing import Optional, Sequence, Tuple

import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from panguvision.models.sam_utils import build_sam_image_encoder, load_sam_encoder_weights
from panguvision.registry import MODELS


@MODELS.register_module()
class SAMImageEncoderBackbone(BaseModule):
    """segment-anything's ``ImageEncoderViT`` (patch 16) for any input size divisible by 16.

    SAM's encoder has an absolute position embedding for ``img_size / 16`` squared tokens; for other input sizes it is
    resized bicubically (the relative position tables of the global blocks are resized by segment-anything itself).

    Args:
        model_type: ``vit_b`` | ``vit_l`` | ``vit_h`` | ``tiny`` (see ``SAM_ENCODER_ARCHS``).
        checkpoint: local SAM weights file; its ``image_encoder.*`` entries are loaded strictly.
        arch_overrides: changes to the architecture (e.g. ``depth=1`` for a smaller test encoder).

    Shapes: input ``(B, 3, H, W)`` normalised RGB, ``H, W`` multiples of 16; output a 1-tuple
    ``((B, out_chans, H/16, W/16), )``.
    """

    def __init__(self, model_type: str = 'vit_b', checkpoint: Optional[str] = None,
                 arch_overrides: Optional[dict] = None, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.encoder = build_sam_image_encoder(model_type, **(arch_overrides or {}))
        if checkpoint is not None:
            load_sam_encoder_weights(self.encoder, checkpoint)

    def forward(self, x: Tensor) -> Tuple[Tensor]:
        if x.shape[-2] % 16 or x.shape[-1] % 16:
            raise ValueError(f'SAMImageEncoderBackbone needs H and W divisible by 16, got {tuple(x.shape[-2:])}; '
                             'set pad_size_divisor=16 (or 32) in the data preprocessor')
        enc = self.encoder
        x = enc.patch_embed(x)  # (B, h, w, C)
        if enc.pos_embed is not None:
            pos = enc.pos_embed
            if pos.shape[1:3] != x.shape[1:3]:
                pos = F.interpolate(pos.permute(0, 3, 1, 2), size=x.shape[1:3], mode='bicubic',
                                    align_corners=False).permute(0, 2, 3, 1)
            x = x + pos
        for blk in enc.blocks:
            x = blk(x)
        return (enc.neck(x.permute(0, 3, 1, 2)), )


@MODELS.register_module()
class SimpleFeaturePyramid(BaseModule):
    """Multi-scale maps from one stride-16 map (ViTDet's simple pyramid): strides 4, 8, 16, 32 by two / one
    transposed convolutions, identity and max-pooling, each followed by a 1x1 and a 3x3 conv.

    mmdet 3.3's core has no such neck (ViTDet's lives in its ``projects/``, not in the package), hence this one.

    Args:
        in_channels: channels of the stride-16 input.
        out_channels: channels of every output level.
        scales: output scales relative to the input, from ``(4.0, 2.0, 1.0, 0.5)``.

    Shapes: input a 1-tuple ``((B, in_channels, h, w), )``; output a tuple with ``(B, out_channels, h*s, w*s)`` per
    scale ``s``.
    """

    def __init__(self, in_channels: int, out_channels: int = 256, scales: Sequence[float] = (4.0, 2.0, 1.0, 0.5),
                 norm_cfg: dict = dict(type='GN', num_groups=32), init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.stages = nn.ModuleList()
        for scale in scales:
            if scale == 4.0:
                layers = [nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2), nn.GELU(),
                          nn.ConvTranspose2d(in_channels // 2, in_channels // 4, 2, stride=2)]
                dim = in_channels // 4
            elif scale == 2.0:
                layers, dim = [nn.ConvTranspose2d(in_channels, in_channels // 2, 2, stride=2)], in_channels // 2
            elif scale == 1.0:
                layers, dim = [], in_channels
            elif scale == 0.5:
                layers, dim = [nn.MaxPool2d(2, stride=2)], in_channels
            else:
                raise ValueError(f'SimpleFeaturePyramid: scale {scale} is not one of 4.0, 2.0, 1.0, 0.5')
            layers += [ConvModule(dim, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None),
                       ConvModule(out_channels, out_channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=None)]
            self.stages.append(nn.Sequential(*layers))

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        x = inputs[-1] if isinstance(inputs, (tuple, list)) else inputs
        return tuple(stage(x) for stage in self.stages)
