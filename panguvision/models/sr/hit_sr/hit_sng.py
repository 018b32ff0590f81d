"""HiT-SNG: SwinIR-NG converted to a hierarchical transformer (HiT-SR, Zhang et al., ECCV 2024).

Adds the N-gram context of SwinIR-NG (Choi et al., CVPR 2023) to every spatial-channel correlation: each window
receives a context vector computed by window attention over the 2x2 neighbourhoods of per-window "unigram"
embeddings, looking forward (bottom/right) and backward (top/left).

State-dict keys and shapes follow the official release (github.com/XiangZ-0/HiT-SR,
``basicsr/archs/hit_sng_arch.py``, class ``HiT_SNG``) so the authors' weights load unchanged.
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from panguvision.registry import MODELS
from .layers import SCC, CachedModule, HiTSRBase, Mlp, to_2tuple


def relative_position_index(window_size: Tuple[int, int]) -> torch.Tensor:
    """(L, L) int64 index into a ((2Wh - 1) * (2Ww - 1))-row bias table, Swin convention."""
    win_h, win_w = window_size
    ys, xs = torch.meshgrid(torch.arange(win_h), torch.arange(win_w), indexing='ij')
    ys, xs = ys.flatten(), xs.flatten()
    rows = ys[:, None] - ys[None, :] + win_h - 1
    cols = xs[:, None] - xs[None, :] + win_w - 1
    return rows * (2 * win_w - 1) + cols


class NGramWindowAttention(CachedModule):
    """Softmax window attention with a learned relative-position bias table, on (N, L, C) tokens."""

    def __init__(self, dim: int, window_size: Tuple[int, int], num_heads: int, qkv_bias: bool = True,
                 qk_scale=None, attn_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        self.dim = dim
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        self.scale = qk_scale or (dim // num_heads)**-0.5
        num_offsets = (2 * window_size[0] - 1) * (2 * window_size[1] - 1)
        self.relative_position_bias_table = nn.Parameter(torch.zeros(num_offsets, num_heads))
        self.register_buffer('relative_position_index', relative_position_index(self.window_size))
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=.02)

    def position_bias(self) -> torch.Tensor:
        """(heads, L, L) bias gathered from the table; cached in eval mode."""
        params = [self.relative_position_bias_table]

        def build():
            length = self.relative_position_index.shape[0]
            table = self.relative_position_bias_table[self.relative_position_index.flatten()]
            return table.view(length, length, -1).permute(2, 0, 1).contiguous()

        if not self.use_cache(params):
            return build()
        return self._cache.get(('bias', ), params + [self.relative_position_index], build)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, L, C) -> (N, L, C)."""
        num, length, channels = x.shape
        qkv = self.qkv(x).view(num, length, 3, self.num_heads, channels // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1) + self.position_bias().unsqueeze(0)
        attn = self.attn_drop(attn.softmax(dim=-1))
        x = (attn @ v).transpose(1, 2).reshape(num, length, channels)
        return self.proj_drop(self.proj(x))


class NGramContext(nn.Module):
    """Per-window context (B, nh, nw, D) of a (B, H, W, D) map tiled by ``window_size`` windows.

    Args:
        dim (int): channels D (even).
        window_size (int | tuple[int]): window (Wh, Ww).
        ngram (int): neighbourhood size n in windows.
        ngram_num_heads (int): heads of the N-gram attention.
        padding_mode (str): 'seq_refl_win_pad' (copy n-1 inner rows/columns, the official default) or 'zero_pad'.
    """

    def __init__(self, dim: int, window_size, ngram: int, ngram_num_heads: int,
                 padding_mode: str = 'seq_refl_win_pad'):
        super().__init__()
        if padding_mode not in ('seq_refl_win_pad', 'zero_pad'):
            raise ValueError(f"padding_mode must be 'seq_refl_win_pad' or 'zero_pad', got {padding_mode!r}")
        self.dim = dim
        self.window_size = to_2tuple(window_size)
        self.ngram = ngram
        self.padding_mode = padding_mode
        self.unigram_embed = nn.Conv2d(2, 1, kernel_size=self.window_size, stride=self.window_size)
        self.ngram_attn = NGramWindowAttention(dim=dim // 2, num_heads=ngram_num_heads, window_size=(ngram, ngram))
        self.merge = nn.Conv2d(dim, dim, 1)

    def _pad(self, unigram: torch.Tensor, backward: bool) -> torch.Tensor:
        """(B, c, nh, nw) -> (B, c, nh + n - 1, nw + n - 1); bottom/right (forward) or top/left (backward)."""
        extra = self.ngram - 1
        if extra == 0:
            return unigram
        if self.padding_mode == 'zero_pad':
            pads = (extra, 0, extra, 0) if backward else (0, extra, 0, extra)
            return F.pad(unigram, pads)
        for dim in (2, 3):
            size = unigram.shape[dim]
            if backward:
                unigram = torch.cat([unigram.narrow(dim, 1, extra), unigram], dim)
            else:
                unigram = torch.cat([unigram, unigram.narrow(dim, size - self.ngram, extra)], dim)
        return unigram

    def _neighbourhood_attention(self, padded: torch.Tensor) -> torch.Tensor:
        """Attention inside every n x n neighbourhood of a padded (B, c, nh + n - 1, nw + n - 1) grid.

        Returns:
            (B, c, nh, nw): the attended tokens of each neighbourhood, averaged.
        """
        n = self.ngram
        batch, channels = padded.shape[:2]
        tokens = padded.unfold(2, n, 1).unfold(3, n, 1)  # B, c, nh, nw, n (rows), n (cols)
        num_h, num_w = tokens.shape[2:4]
        tokens = tokens.permute(0, 2, 3, 4, 5, 1).reshape(-1, n * n, channels)
        context = self.ngram_attn(tokens).mean(dim=1)
        return context.view(batch, num_h, num_w, channels).permute(0, 3, 1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, D) map -> (B, H / Wh, W / Ww, D) context."""
        batch, height, width, dim = x.shape
        pairs = x.permute(0, 3, 1, 2).reshape(batch * (dim // 2), 2, height, width)
        unigram = self.unigram_embed(pairs).view(batch, dim // 2, height // self.window_size[0],
                                                 width // self.window_size[1])
        context = torch.cat([
            self._neighbourhood_attention(self._pad(unigram, backward=False)),
            self._neighbourhood_attention(self._pad(unigram, backward=True))
        ], dim=1)
        return self.merge(context).permute(0, 2, 3, 1)


class NGramWindowPartition(nn.Module):
    """Window partition that adds each window's N-gram context: (B, H, W, D) -> (B * nW, Wh * Ww, D)."""

    def __init__(self, dim: int, window_size: Sequence[int], ngram: int, ngram_num_heads: int, shift_size: int = 0):
        super().__init__()
        if shift_size:
            raise ValueError('HiT-SNG uses no shifted windows')
        self.window_size = to_2tuple(window_size)
        self.ngram = ngram
        self.ngram_context = NGramContext(dim, self.window_size, ngram, ngram_num_heads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, height, width, dim = x.shape
        win_h, win_w = self.window_size
        if height < win_h or width < win_w:
            raise ValueError(f'feature map {height}x{width} is smaller than the window {self.window_size}')
        context = self.ngram_context(x)  # B, nh, nw, D
        windows = x.view(batch, height // win_h, win_h, width // win_w, win_w, dim).permute(0, 1, 3, 2, 4, 5)
        windows = windows + context[:, :, :, None, None, :]
        return windows.reshape(-1, win_h * win_w, dim)


class NGramSCC(SCC):
    """Spatial-channel correlation whose windows carry N-gram context (n = 2)."""

    def __init__(self, dim: int, base_win_size: Sequence[int], window_size: Sequence[int], num_heads: int,
                 value_drop: float = 0., proj_drop: float = 0.):
        super().__init__(dim, base_win_size, window_size, num_heads, value_drop, proj_drop)
        self.ngram_window_partition = NGramWindowPartition(dim, self.window_size, 2, num_heads)

    def partition(self, qv: torch.Tensor) -> torch.Tensor:
        return self.ngram_window_partition(qv)


@MODELS.register_module()
class HiTSNG(HiTSRBase):
    """HiT-SNG network: SCC blocks with N-gram window context and a plain MLP feed-forward.

    ``forward(x)``: x (N, 3, H, W) float RGB in [0, 1] -> (N, 3, H * upscale, W * upscale). Each block reflect-pads
    the map to a multiple of twice its window (so the N-gram grid has at least 2x2 windows); pads larger than the
    map keep reflecting, so any H, W >= 1 works. Constructor arguments: see :class:`HiTSRBase`.
    """

    block_kwargs = dict(scc_cls=NGramSCC, ffn_cls=Mlp, pad_factor=2)
