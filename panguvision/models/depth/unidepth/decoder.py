"""UniDepth (V1) decoder: feature adapters, camera module and camera-prompted depth module."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from panguvision.registry import MODELS
from .camera_head import CameraHead
from .depth_head import DepthHead
from .layers import sine_position_embedding

__all__ = ['UniDepthV1Decoder']


def _adapter(in_dim: int, dim: int) -> nn.Sequential:
    return nn.Sequential(nn.LayerNorm(in_dim), nn.Linear(in_dim, dim), nn.GELU())


@MODELS.register_module()
class UniDepthV1Decoder(nn.Module):
    """Camera module + depth module over multi-level encoder features.

    Every level is resized (bilinear) to the common grid of level ``grid_level`` (ViT: all levels share the patch
    grid; ConvNeXt: the stride-16 stage, ``grid_level=2``), projected to ``dim`` (LayerNorm, Linear, GELU) and
    flattened; all levels' tokens carry a 2-D sine position embedding (``mmdet.SinePositionalEncoding``) plus a
    learned level embedding.

    Args:
        in_dims: channels of the encoder levels.
        dim: decoder width ``C``.
        num_heads: attention heads.
        depths: depth-module blocks per stage (grid, 2x, 4x).
        camera_depth: self-attention blocks of the camera module.
        sh_degree: spherical-harmonic degree of the ray embedding.
        expansion: MLP ratio.
        grid_level: index of the level whose resolution is the common grid.
        depth_init: initial depth prediction in metres.
    """

    def __init__(self, in_dims: Sequence[int], dim: int = 512, num_heads: int = 8, depths: Sequence[int] = (4, 2, 1),
                 camera_depth: int = 2, sh_degree: int = 8, expansion: float = 4, grid_level: int = -1,
                 depth_init: float = 1.0) -> None:
        super().__init__()
        from mmdet.models.layers import SinePositionalEncoding
        self.num_levels = len(in_dims)
        self.grid_level = grid_level
        self.input_adapters = nn.ModuleList([_adapter(d, dim) for d in in_dims])
        self.token_adapters = nn.ModuleList([_adapter(d, dim) for d in in_dims])
        self.level_embeds = nn.Parameter(torch.randn(self.num_levels, dim) * 0.02)
        self.level_embed_layer = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim), nn.LayerNorm(dim))
        self.pos_embed = SinePositionalEncoding(dim // 2, normalize=True)
        self.camera_layer = CameraHead(dim, num_heads=num_heads, depth=camera_depth, expansion=expansion)
        self.depth_layer = DepthHead(dim, self.num_levels, num_heads=num_heads, depths=depths, sh_degree=sh_degree,
                                     expansion=expansion, depth_init=depth_init)

    def forward(self, features: List[torch.Tensor], tokens: List[torch.Tensor], image_shape: Tuple[int, int],
                intrinsics: Optional[torch.Tensor] = None) -> Dict[str, object]:
        """
        Args:
            features: ``L`` maps ``(B, C_i, h_i, w_i)``.
            tokens: ``L`` global tokens ``(B, C_i)``.
            image_shape: ``(H, W)`` of the network input.
            intrinsics: optional ``(B, 3, 3)`` known K of the input; the depth module is then conditioned on its rays
                instead of the predicted camera's.

        Returns:
            ``dict(intrinsics=(B, 3, 3) predicted K, log_depths=[3 maps], latents=(B, C, h, w), grid=(h, w))``.
        """
        if len(features) != self.num_levels:
            raise ValueError(f'UniDepthV1Decoder: built for {self.num_levels} encoder levels, got {len(features)}')
        B = features[0].shape[0]
        h, w = features[self.grid_level].shape[-2:]
        flat = []
        for feat, adapter in zip(features, self.input_adapters):
            if feat.shape[-2:] != (h, w):
                feat = F.interpolate(feat, size=(h, w), mode='bilinear', align_corners=False)
            flat.append(adapter(feat.flatten(2).transpose(1, 2)))
        feats = torch.stack(flat, dim=1)  # (B, L, h*w, C)
        pos = sine_position_embedding(self.pos_embed, B, h, w, feats.device).to(feats.dtype)
        levels = self.level_embed_layer(self.level_embeds)  # (L, C)
        pos = (pos[:, None] + levels[None, :, None]).flatten(1, 2)  # (B, L*h*w, C)
        global_token = torch.stack([a(t) for a, t in zip(self.token_adapters, tokens)], dim=1).mean(1)

        pred_K, _ = self.camera_layer(feats.flatten(1, 2), pos, global_token, image_shape)
        cond_K = pred_K if intrinsics is None else intrinsics.to(pred_K.dtype)
        log_depths, latents = self.depth_layer(feats, pos, (h, w), cond_K, image_shape)
        return dict(intrinsics=pred_K, log_depths=log_depths, latents=latents, grid=(h, w))
