"""UniDepth depth module: depth latents prompted by camera-ray embeddings, decoded at three resolutions."""
import math
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .geometry import generate_rays, scale_intrinsics
from .layers import MLP, AttentionBlock, ConvUpsample
from .spherical_harmonics import num_sh_basis, real_spherical_harmonics

__all__ = ['DepthHead', 'ray_embedding_input']


def ray_embedding_input(intrinsics: torch.Tensor, image_shape: Tuple[int, int], grid: Tuple[int, int],
                        max_degree: int) -> torch.Tensor:
    """Spherical-harmonic encoding of the camera rays sampled on a ``grid = (h, w)`` covering an ``image_shape``
    image: ``(B, h * w, (L + 1)^2)``. The rays are those of the grid cells' centres (K rescaled to the grid)."""
    (H, W), (h, w) = image_shape, grid
    rays = generate_rays(scale_intrinsics(intrinsics, w / W, h / H), (h, w))
    return real_spherical_harmonics(rays, max_degree).flatten(1, 2)


class DepthHead(nn.Module):
    """Depth decoder conditioned on camera rays at 1/16, 1/8 and 1/4 of the feature grid's stride.

    At the feature grid (``(h, w)``, stride 14 or 16): depth latents (from the channel-concatenated levels) gather
    information from all feature tokens by cross-attention, then are *prompted by the camera*: a cross-attention to
    the ray embeddings (SH degree ``sh_degree`` -> MLP) followed by ``depths[0]`` self-attention blocks whose queries
    and keys carry the ray embedding. Two upsampling stages (ConvNeXt blocks + 2x, halving the channels) reach
    ``(2h, 2w)`` and ``(4h, 4w)``, each adding its own ray embedding before ``depths[1]`` / ``depths[2]`` ConvNeXt
    blocks (the paper uses Nystrom attention there; convolutions keep the high-resolution stages cheap), and a last
    upsampling reaches ``(8h, 8w)``. A 3x3 conv reads log-depth after each upsampling.

    Args:
        dim: latent width ``C`` at the grid (``C // 2`` and ``C // 4`` at the next two stages).
        num_levels: encoder levels.
        num_heads: heads of the grid self-attention blocks.
        depths: blocks per stage ``(grid, 2x, 4x)``.
        sh_degree: spherical-harmonic degree of the ray embedding (8 -> 81 functions).
        expansion: MLP ratio.
        depth_init: depth in metres that an untrained head predicts (bias of the log-depth convs).
    """

    def __init__(self, dim: int, num_levels: int, num_heads: int = 4, depths: Sequence[int] = (2, 2, 2),
                 sh_degree: int = 8, expansion: float = 4, depth_init: float = 1.0) -> None:
        super().__init__()
        if dim % 8:
            raise ValueError(f'DepthHead: dim must be a multiple of 8, got {dim}')
        self.sh_degree = sh_degree
        sh_dim = num_sh_basis(sh_degree)
        self.project_rays16 = MLP(sh_dim, expansion, out_dim=dim)
        self.project_rays8 = MLP(sh_dim, expansion, out_dim=dim // 2)
        self.project_rays4 = MLP(sh_dim, expansion, out_dim=dim // 4)
        self.features_channel_cat = nn.Linear(dim * num_levels, dim)
        self.to_latents = MLP(dim, 2)
        self.aggregate_16 = AttentionBlock(dim, num_heads=1, expansion=expansion)
        self.prompt_camera = AttentionBlock(dim, num_heads=1, expansion=expansion)
        self.layers_16 = nn.ModuleList([AttentionBlock(dim, num_heads, expansion) for _ in range(depths[0])])
        self.up8 = ConvUpsample(dim, num_blocks=1)
        self.up4 = ConvUpsample(dim // 2, num_blocks=depths[1])
        self.up2 = ConvUpsample(dim // 4, num_blocks=depths[2])
        self.out8 = nn.Conv2d(dim // 2, 1, 3, padding=1)
        self.out4 = nn.Conv2d(dim // 4, 1, 3, padding=1)
        self.out2 = nn.Conv2d(dim // 8, 1, 3, padding=1)
        for conv in (self.out8, self.out4, self.out2):
            nn.init.normal_(conv.weight, std=1e-3)
            nn.init.constant_(conv.bias, math.log(depth_init))

    def forward(self, features: torch.Tensor, pos: torch.Tensor, grid: Tuple[int, int], intrinsics: torch.Tensor,
                image_shape: Tuple[int, int]) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """
        Args:
            features: ``(B, L, h * w, C)`` adapted features of the ``L`` levels on the common grid.
            pos: ``(B, L * h * w, C)`` positional + level embeddings of the flattened features.
            grid: ``(h, w)``.
            intrinsics: ``(B, 3, 3)`` K of the ``image_shape`` input whose rays condition the depth.
            image_shape: ``(H, W)`` of the network input.

        Returns:
            log-depth maps ``[(B, 1, 2h, 2w), (B, 1, 4h, 4w), (B, 1, 8h, 8w)]`` (natural log of metres) and the grid
            latents ``(B, C, h, w)``.
        """
        B, L, N, C = features.shape
        h, w = grid
        rays16 = self.project_rays16(ray_embedding_input(intrinsics, image_shape, (h, w), self.sh_degree))
        rays8 = self.project_rays8(ray_embedding_input(intrinsics, image_shape, (2 * h, 2 * w), self.sh_degree))
        rays4 = self.project_rays4(ray_embedding_input(intrinsics, image_shape, (4 * h, 4 * w), self.sh_degree))

        latents = self.features_channel_cat(features.permute(0, 2, 1, 3).reshape(B, N, L * C))
        latents = latents + self.to_latents(latents)
        latents = self.aggregate_16(latents, context=features.reshape(B, L * N, C), pos_context=pos)
        latents = self.prompt_camera(latents, context=rays16)
        for layer in self.layers_16:
            latents = layer(latents, pos=rays16)

        def to_map(tokens: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
            return tokens.transpose(1, 2).reshape(B, tokens.shape[-1], *size)

        x8 = self.up8(to_map(latents + rays16, (h, w)))
        x4 = self.up4(x8 + to_map(rays8, (2 * h, 2 * w)))
        x2 = self.up2(x4 + to_map(rays4, (4 * h, 4 * w)))
        log_depths = [out(x).clamp(-10.0, 10.0) for out, x in ((self.out8, x8), (self.out4, x4), (self.out2, x2))]
        return log_depths, to_map(latents, (h, w))


def merge_log_depths(log_depths: List[torch.Tensor], size: Tuple[int, int]) -> torch.Tensor:
    """Mean of the multi-resolution log-depth maps bilinearly resized to ``size``: ``(B, 1, H, W)``."""
    return sum(F.interpolate(x, size=size, mode='bilinear', align_corners=False) for x in log_depths) / len(log_depths)
