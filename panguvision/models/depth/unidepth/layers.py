"""Transformer and convolution blocks of the UniDepth decoder (token tensors are ``(B, N, C)``)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ['MLP', 'AttentionBlock', 'ConvUpsample', 'LayerScale', 'sine_position_embedding']


class LayerScale(nn.Module):
    """Per-channel learnable gain ``gamma`` (``(C,)``), initialised to ``init_value``."""

    def __init__(self, dim: int, init_value: float = 1.0) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dim, ), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class MLP(nn.Module):
    """``LayerNorm -> Linear(C, C * expansion) -> GELU -> Linear(., out_dim)`` on ``(..., C)``."""

    def __init__(self, in_dim: int, expansion: float = 4, out_dim: Optional[int] = None, dropout: float = 0.0):
        super().__init__()
        hidden = int(in_dim * expansion)
        self.norm = nn.LayerNorm(in_dim)
        self.proj1 = nn.Linear(in_dim, hidden)
        self.proj2 = nn.Linear(hidden, out_dim or in_dim)
        self.act = nn.GELU()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.proj2(self.act(self.proj1(self.norm(x)))))


class AttentionBlock(nn.Module):
    """Pre-norm (cross-)attention block: ``x += ls1(attn(norm(x), norm(ctx)))``, ``x += ls2(mlp(x))``.

    Without ``context`` it is self-attention. Positional embeddings are added to the queries (``pos``, ``(B, N, C)``)
    and keys (``pos_context``, ``(B, M, C)``), not to the values.

    Args:
        dim: token width ``C``.
        num_heads: attention heads (``C`` must be divisible by it).
        expansion: MLP hidden width ratio.
        context_dim: width of the context tokens (default ``C``).
        layer_scale: initial LayerScale gain (``0`` disables LayerScale).
    """

    def __init__(self, dim: int, num_heads: int = 4, expansion: float = 4, context_dim: Optional[int] = None,
                 layer_scale: float = 1.0, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'AttentionBlock: dim {dim} is not divisible by num_heads {num_heads}')
        context_dim = context_dim or dim
        self.num_heads = num_heads
        self.norm_x = nn.LayerNorm(dim)
        self.norm_context = nn.LayerNorm(context_dim)
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(context_dim, 2 * dim)
        self.out = nn.Linear(dim, dim)
        self.mlp = MLP(dim, expansion, dropout=dropout)
        self.ls1 = LayerScale(dim, layer_scale) if layer_scale > 0 else nn.Identity()
        self.ls2 = LayerScale(dim, layer_scale) if layer_scale > 0 else nn.Identity()

    def attend(self, x: torch.Tensor, context: torch.Tensor, pos: Optional[torch.Tensor],
               pos_context: Optional[torch.Tensor]) -> torch.Tensor:
        B, N, C = x.shape
        heads = self.num_heads
        q = self.q(self.norm_x(x))
        k, v = self.kv(self.norm_context(context)).chunk(2, dim=-1)
        if pos is not None:
            q = q + pos
        if pos_context is not None:
            k = k + pos_context
        q, k, v = (t.reshape(B, t.shape[1], heads, C // heads).transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v)
        return self.out(out.transpose(1, 2).reshape(B, N, C))

    def forward(self, x: torch.Tensor, context: Optional[torch.Tensor] = None, pos: Optional[torch.Tensor] = None,
                pos_context: Optional[torch.Tensor] = None) -> torch.Tensor:
        if context is None:
            context, pos_context = x, pos if pos_context is None else pos_context
        x = x + self.ls1(self.attend(x, context, pos, pos_context))
        return x + self.ls2(self.mlp(x))


class ConvUpsample(nn.Module):
    """``num_blocks`` ConvNeXt blocks (timm's ``ConvNeXtBlock``) then 2x upsampling that halves the channels:
    ``(B, C, h, w) -> (B, C // 2, 2h, 2w)`` (1x1 conv, bilinear x2, 3x3 conv)."""

    def __init__(self, dim: int, num_blocks: int = 2, kernel_size: int = 7, layer_scale: float = 1.0) -> None:
        super().__init__()
        from timm.models.convnext import ConvNeXtBlock
        self.blocks = nn.Sequential(*[
            ConvNeXtBlock(dim, kernel_size=kernel_size, ls_init_value=layer_scale) for _ in range(num_blocks)
        ])
        self.reduce = nn.Conv2d(dim, dim // 2, 1)
        self.smooth = nn.Conv2d(dim // 2, dim // 2, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.reduce(self.blocks(x))
        return self.smooth(F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False))


def sine_position_embedding(module: nn.Module, batch: int, height: int, width: int, device) -> torch.Tensor:
    """``(B, h * w, C)`` normalised 2-D sine embedding from an ``mmdet.SinePositionalEncoding`` ``module``."""
    mask = torch.zeros(batch, height, width, dtype=torch.bool, device=device)
    return module(mask).flatten(2).transpose(1, 2)
