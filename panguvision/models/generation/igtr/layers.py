"""Llama-style decoder blocks of the IGTR transformer (the GPT protocol), 2-D RoPE over the token grid, KV cache.

The protocol (shared with ``panguvision/models/layers/pangu``): a block has ``attn`` with ``q_proj``, ``k_proj``,
``v_proj``, ``o_proj`` (``nn.Linear`` without bias), ``num_heads``, ``num_kv_heads``, ``head_dim`` and a pluggable
core ``attn.core(q, k, v, causal=True)`` on projected, RoPE-applied tensors; ``ffn`` maps ``(B, L, D) -> (B, L, D)``;
``norm1`` / ``norm2`` are RMSNorms, and ``post_norm1`` / ``post_norm2`` exist with the sandwich norm. Shapes are read
from the modules at every call, so pruned projections (fewer heads, narrower FFN) keep working.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn

# Registers the attention cores (SDPAttentionCore, ESAttentionCore) that blocks build by name; the default
# feed-forward is the protocol's SwiGLU from the same package (it also registers MoGEFeedForward).
from panguvision.models.layers.pangu import attention as _attention_cores  # noqa: F401
from panguvision.models.layers.pangu.moge import PanguSwiGLU
from panguvision.registry import MODELS

__all__ = ['rope_2d_angles', 'apply_rope', 'KVCache', 'Attention', 'DecoderBlock', 'llama_ffn_hidden']


def llama_ffn_hidden(dim: int, multiple_of: int = 256, ffn_dim_multiplier: Optional[float] = None) -> int:
    """Llama's SwiGLU width: ``2/3 * 4 * dim`` (times ``ffn_dim_multiplier``) rounded up to ``multiple_of``."""
    hidden = int(2 * 4 * dim / 3)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def rope_2d_angles(positions: torch.Tensor, head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """Rotation angles of 2-D RoPE.

    The first half of each head's channels is rotated by the row coordinate, the second half by the column
    coordinate, each half with the usual 1-D RoPE frequencies ``base ** (-2i / (head_dim / 2))``.

    Args:
        positions: ``(L, 2)`` (row, column) of each token; any real values (the condition and prefix tokens use
            negative positions before the grid).
        head_dim: channels per head, a multiple of 4.

    Returns:
        ``(L, head_dim / 2)`` angles in radians, for :func:`apply_rope`.
    """
    if head_dim % 4:
        raise ValueError(f'2-D RoPE needs head_dim divisible by 4, got {head_dim}')
    quarter = head_dim // 4
    freqs = base**(-torch.arange(quarter, dtype=torch.float64) / quarter)  # (Dh/4,)
    pos = positions.to(torch.float64)
    return torch.cat([pos[:, :1] * freqs, pos[:, 1:2] * freqs], dim=1).float()  # (L, Dh/2)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs ``(x[2i], x[2i+1])`` of ``x`` (B, H, L, Dh) by the angles whose cos/sin are (L, Dh/2)."""
    x1, x2 = x.float().unflatten(-1, (-1, 2)).unbind(-1)
    out = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2)
    return out.type_as(x)


class KVCache:
    """Pre-allocated keys and values of one attention layer for incremental decoding.

    Args:
        batch_size, num_heads, max_len, head_dim: ``(B, H, max_len, Dh)`` storage.
        device, dtype: of the storage.
    """

    def __init__(self, batch_size: int, num_heads: int, max_len: int, head_dim: int, device=None, dtype=None):
        self.k = torch.zeros(batch_size, num_heads, max_len, head_dim, device=device, dtype=dtype)
        self.v = torch.zeros_like(self.k)
        self.length = 0

    def update(self, k: torch.Tensor, v: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Append ``k``/``v`` (B, H, L, Dh); return all keys and values so far (B, H, length, Dh)."""
        end = self.length + k.shape[2]
        if end > self.k.shape[2]:
            raise RuntimeError(f'KV cache overflow: {end} positions > max_len {self.k.shape[2]}')
        self.k[:, :, self.length:end] = k
        self.v[:, :, self.length:end] = v
        self.length = end
        return self.k[:, :, :end], self.v[:, :, :end]


class Attention(nn.Module):
    """Multi-head (or grouped-query) self-attention with 2-D RoPE and a pluggable core.

    Args:
        dim: model width D.
        num_heads: query heads H (``head_dim = D / H``).
        num_kv_heads: key/value heads (defaults to H); H must be a multiple.
        core: config of the attention core (``SDPAttentionCore`` by default).
    """

    def __init__(self, dim: int, num_heads: int, num_kv_heads: Optional[int] = None, core: Optional[dict] = None):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim {dim} is not divisible by num_heads {num_heads}')
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads or num_heads
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f'num_heads {num_heads} is not a multiple of num_kv_heads {self.num_kv_heads}')
        self.head_dim = dim // num_heads
        self.q_proj = nn.Linear(dim, self.num_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(dim, self.num_kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(dim, self.num_kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, dim, bias=False)
        self.core = MODELS.build(core or dict(type='SDPAttentionCore'))

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                cache: Optional[KVCache] = None) -> torch.Tensor:
        """``x`` (B, L, D) at the positions whose RoPE cos/sin are (L, Dh/2) -> (B, L, D); with ``cache`` the
        keys/values of earlier positions are reused and these L are appended."""
        b, length, _ = x.shape
        q = self.q_proj(x).view(b, length, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, length, self.num_kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, length, self.num_kv_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k, v = cache.update(k, v)
        if self.num_kv_heads != self.num_heads:  # the protocol hands the core H key/value heads
            k = k.repeat_interleave(self.num_heads // self.num_kv_heads, dim=1)
            v = v.repeat_interleave(self.num_heads // self.num_kv_heads, dim=1)
        out = self.core(q, k, v, causal=True)  # (B, H, L, Dh)
        return self.o_proj(out.transpose(1, 2).reshape(b, length, self.num_heads * self.head_dim))


class DecoderBlock(nn.Module):
    """Pre-norm Llama block ``h = h + attn(norm1(h)); h = h + ffn(norm2(h))``; with ``sandwich_norm`` each branch
    output passes a post-norm first (``post_norm1`` / ``post_norm2``).

    Args:
        dim, num_heads, num_kv_heads: see :class:`Attention`.
        ffn_hidden: SwiGLU width F (used when ``ffn`` is None, and given to ``ffn`` configs as ``hidden_dim``).
        attn_core: attention core config.
        ffn: feed-forward config (e.g. ``dict(type='MoGEFeedForward', num_experts=8, ...)``); ``dim`` and
            ``hidden_dim`` are filled in when absent.
        sandwich_norm: add the post-norms.
        norm_eps: RMSNorm epsilon.
    """

    def __init__(self, dim: int, num_heads: int, num_kv_heads: Optional[int], ffn_hidden: int,
                 attn_core: Optional[dict] = None, ffn: Optional[dict] = None, sandwich_norm: bool = False,
                 norm_eps: float = 1e-5):
        super().__init__()
        self.norm1 = nn.RMSNorm(dim, eps=norm_eps)
        self.attn = Attention(dim, num_heads, num_kv_heads, attn_core)
        self.norm2 = nn.RMSNorm(dim, eps=norm_eps)
        if ffn is None:
            self.ffn = PanguSwiGLU(dim, ffn_hidden)
        else:
            self.ffn = MODELS.build(dict(dict(dim=dim, hidden_dim=ffn_hidden), **ffn))
        self.sandwich_norm = sandwich_norm
        if sandwich_norm:
            self.post_norm1 = nn.RMSNorm(dim, eps=norm_eps)
            self.post_norm2 = nn.RMSNorm(dim, eps=norm_eps)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                cache: Optional[KVCache] = None) -> torch.Tensor:
        h = self.attn(self.norm1(x), cos, sin, cache)
        x = x + (self.post_norm1(h) if self.sandwich_norm else h)
        h = self.ffn(self.norm2(x))
        return x + (self.post_norm2(h) if self.sandwich_norm else h)
