"""UniDepth camera module: four latent tokens cross-attend to the image features and regress a pinhole camera."""
from typing import Tuple

import torch
from torch import nn

from .geometry import normalize_intrinsics
from .layers import MLP, AttentionBlock

__all__ = ['CameraHead']


class CameraHead(nn.Module):
    """Predicts ``K`` from decoder tokens.

    Four learnable latent tokens (one per parameter ``fx, fy, cx, cy``), offset by the mean global image token,
    cross-attend once to all feature tokens, refine themselves with ``depth`` self-attention blocks, and an MLP maps
    each to one scalar; :func:`~.geometry.normalize_intrinsics` turns those into pixels (``fx, fy`` via ``exp``
    relative to the image size, ``cx, cy`` via ``sigmoid``).

    Args:
        dim: token width ``C``.
        num_heads: heads of the self-attention blocks.
        depth: number of self-attention blocks.
        expansion: MLP ratio.
    """
    NUM_PARAMS = 4

    def __init__(self, dim: int, num_heads: int = 4, depth: int = 2, expansion: float = 4) -> None:
        super().__init__()
        self.latents = nn.Parameter(torch.randn(1, self.NUM_PARAMS, dim) * 0.02)
        self.latents_pos = nn.Parameter(torch.randn(1, self.NUM_PARAMS, dim) * 0.02)
        self.in_features = MLP(dim, 2)
        self.aggregate = AttentionBlock(dim, num_heads=1, expansion=expansion)
        self.layers = nn.ModuleList([AttentionBlock(dim, num_heads, expansion) for _ in range(depth)])
        self.out = MLP(dim, 2, out_dim=1)

    def forward(self, tokens: torch.Tensor, pos: torch.Tensor, global_token: torch.Tensor,
                image_shape: Tuple[int, int]) -> Tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            tokens: ``(B, N, C)`` feature tokens of all levels.
            pos: ``(B, N, C)`` their positional + level embeddings.
            global_token: ``(B, C)`` image-level token.
            image_shape: ``(H, W)`` of the network input, for the pixel units of ``K``.

        Returns:
            ``K`` ``(B, 3, 3)`` in pixels of the input and the raw outputs ``(B, 4)``.
        """
        B = tokens.shape[0]
        latents = self.latents.expand(B, -1, -1) + global_token[:, None]
        pos_latents = self.latents_pos.expand(B, -1, -1)
        context = tokens + self.in_features(tokens)
        latents = self.aggregate(latents, context=context, pos=pos_latents, pos_context=pos)
        for layer in self.layers:
            latents = layer(latents, pos=pos_latents)
        raw = self.out(latents).squeeze(-1)  # (B, 4)
        return normalize_intrinsics(raw, image_shape), raw
