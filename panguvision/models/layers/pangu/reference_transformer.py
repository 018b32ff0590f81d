"""A small Llama-style causal LM that follows the GPT protocol of the suite, built from the Pangu blocks.

Protocol (shared with the IGTR transformer, so the attention cores, feed-forwards, DSSN / TinyInit and the pruning
utilities work on both): the model keeps its blocks in ``self.blocks`` (nn.ModuleList); each block has ``attn`` with
``q_proj, k_proj, v_proj, o_proj`` (nn.Linear, no bias), ``num_heads``, ``num_kv_heads``, ``head_dim`` and a pluggable
core ``attn.core(q, k, v, causal=True)`` called on projected, RoPE-applied q (B, H, Lq, Dh) and k / v (B, H, Lk, Dh);
``ffn`` (B, L, D) -> (B, L, D) (SwiGLU ``w1, w3, w2`` by default, or MoGE); RMSNorms ``norm1``, ``norm2`` and with the
sandwich norm ``post_norm1``, ``post_norm2``.
"""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from panguvision.registry import MODELS
from .sandwich_norm import init_sandwich_post_norm_, tiny_init_

KVCache = List[Tuple[torch.Tensor, torch.Tensor]]


def rope_cos_sin(positions: torch.Tensor, head_dim: int, theta: float = 10000.0, dtype=torch.float32):
    """Rotary tables for integer positions (L,): cos, sin (L, Dh) (half-split convention)."""
    if head_dim % 2:
        raise ValueError(f'RoPE needs an even head_dim, got {head_dim}')
    inv_freq = 1.0 / theta**(torch.arange(0, head_dim, 2, device=positions.device, dtype=torch.float32) / head_dim)
    angles = positions.float()[:, None] * inv_freq[None]
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate x (B, H, L, Dh) by the (L, Dh) tables."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


class PanguAttention(nn.Module):
    """Grouped-query self-attention with RoPE and a pluggable core: (B, L, D) -> (B, L, D).

    Args:
        dim: D. num_heads: H query heads. num_kv_heads: Hkv key/value heads (H % Hkv == 0). head_dim: Dh
        (default D / H). attn_core: config of the core (default ``SDPAttentionCore``). rope_theta: RoPE base.
    """

    def __init__(self, dim: int, num_heads: int, num_kv_heads: Optional[int] = None, head_dim: Optional[int] = None,
                 attn_core: Optional[dict] = None, rope_theta: float = 10000.0):
        super().__init__()
        num_kv_heads = num_kv_heads or num_heads
        if num_heads % num_kv_heads:
            raise ValueError(f'num_heads={num_heads} is not a multiple of num_kv_heads={num_kv_heads}')
        self.num_heads, self.num_kv_heads = num_heads, num_kv_heads
        self.head_dim = head_dim or dim // num_heads
        self.rope_theta = rope_theta
        self.q_proj = nn.Linear(dim, num_heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(dim, num_kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(dim, num_kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(num_heads * self.head_dim, dim, bias=False)
        self.core = MODELS.build(attn_core or dict(type='SDPAttentionCore'))

    def forward(self, x: torch.Tensor, positions: torch.Tensor,
                cache: Optional[Tuple[torch.Tensor, torch.Tensor]] = None):
        """x (B, L, D), positions (L,) absolute positions of these tokens, cache (k, v) each (B, Hkv, Lpast, Dh).
        Returns the output (B, L, D) and the new cache."""
        b, length, _ = x.shape
        q = self.q_proj(x).view(b, length, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, length, self.num_kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, length, self.num_kv_heads, self.head_dim).transpose(1, 2)
        cos, sin = rope_cos_sin(positions, self.head_dim, self.rope_theta, x.dtype)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        new_cache = (k, v)
        groups = self.num_heads // self.num_kv_heads
        if groups > 1:
            k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
        out = self.core(q, k, v, causal=True)  # (B, H, L, Dh)
        return self.o_proj(out.transpose(1, 2).reshape(b, length, self.num_heads * self.head_dim)), new_cache


@MODELS.register_module()
class PanguDecoderBlock(nn.Module):
    """Pre-norm decoder block, optionally with the depth-scaled sandwich norm: (B, L, D) -> (B, L, D).

    ``h = h + post_norm1(attn(norm1(h)))``, ``h = h + post_norm2(ffn(norm2(h)))`` (without ``sandwich_norm`` the
    post-norms are absent). Post-norm gains start at ``post_norm_c / sqrt(num_layers)``.

    Args:
        dim, num_heads, num_kv_heads, head_dim, attn_core, rope_theta: see :class:`PanguAttention`.
        ffn: feed-forward config; ``dim`` and ``hidden_dim`` default to D and ``ffn_hidden_dim``
            (default ``PanguSwiGLU``; ``dict(type='MoGEFeedForward', num_experts=..., ...)`` for MoGE).
        ffn_hidden_dim: hidden width F of the feed-forward (per expert for MoGE).
        sandwich_norm: add the post-norms. num_layers: L, for the post-norm gain. post_norm_c: c. norm_eps: RMSNorm eps.
    """

    def __init__(self, dim: int, num_heads: int, num_kv_heads: Optional[int] = None, head_dim: Optional[int] = None,
                 ffn: Optional[dict] = None, ffn_hidden_dim: Optional[int] = None, attn_core: Optional[dict] = None,
                 sandwich_norm: bool = True, num_layers: int = 1, post_norm_c: float = 1.0, norm_eps: float = 1e-6,
                 rope_theta: float = 10000.0):
        super().__init__()
        self.norm1 = nn.RMSNorm(dim, eps=norm_eps)
        self.attn = PanguAttention(dim, num_heads, num_kv_heads, head_dim, attn_core, rope_theta)
        self.norm2 = nn.RMSNorm(dim, eps=norm_eps)
        ffn_cfg = dict(type='PanguSwiGLU', dim=dim, hidden_dim=ffn_hidden_dim or 4 * dim)
        ffn_cfg.update(ffn or {})
        self.ffn = MODELS.build(ffn_cfg)
        self.sandwich_norm = sandwich_norm
        if sandwich_norm:
            self.post_norm1 = init_sandwich_post_norm_(nn.RMSNorm(dim, eps=norm_eps), num_layers, post_norm_c)
            self.post_norm2 = init_sandwich_post_norm_(nn.RMSNorm(dim, eps=norm_eps), num_layers, post_norm_c)

    def forward(self, h: torch.Tensor, positions: torch.Tensor, cache=None):
        """h (B, L, D), positions (L,), cache from the previous call or None -> (h, new cache)."""
        a, new_cache = self.attn(self.norm1(h), positions, cache)
        h = h + (self.post_norm1(a) if self.sandwich_norm else a)
        f = self.ffn(self.norm2(h))
        h = h + (self.post_norm2(f) if self.sandwich_norm else f)
        return h, new_cache


@MODELS.register_module()
class PanguReferenceLM(nn.Module):
    """Small Llama-style causal LM: token ids (B, L) int64 -> logits (B, L, V).

    Args:
        vocab_size: V. dim: D. num_layers: L. num_heads / num_kv_heads / head_dim: attention heads.
        ffn_hidden_dim: F (default 4 D; per expert with MoGE). ffn / attn_core: configs of the pluggable parts.
        sandwich_norm: depth-scaled sandwich norm. tiny_init: TinyInit of every linear / embedding weight
            (otherwise N(0, 0.02)). post_norm_c: c of the post-norm gains. tie_embeddings: share the embedding with
            the LM head.

    ``loss(ids)`` returns ``loss_lm`` (next-token cross-entropy, nats) and ``loss_moge_balance`` (sum of the MoGE
    auxiliary losses) when MoGE feed-forwards are used. ``forward(ids, cache=...)`` continues from a KV cache.
    """

    def __init__(self, vocab_size: int = 256, dim: int = 128, num_layers: int = 4, num_heads: int = 4,
                 num_kv_heads: Optional[int] = None, head_dim: Optional[int] = None,
                 ffn_hidden_dim: Optional[int] = None, ffn: Optional[dict] = None, attn_core: Optional[dict] = None,
                 sandwich_norm: bool = True, tiny_init: bool = True, post_norm_c: float = 1.0,
                 tie_embeddings: bool = False, norm_eps: float = 1e-6, rope_theta: float = 10000.0):
        super().__init__()
        self.vocab_size, self.dim, self.num_layers = vocab_size, dim, num_layers
        self.embed = nn.Embedding(vocab_size, dim)
        self.blocks = nn.ModuleList(
            PanguDecoderBlock(dim, num_heads, num_kv_heads, head_dim, ffn, ffn_hidden_dim, attn_core, sandwich_norm,
                              num_layers, post_norm_c, norm_eps, rope_theta) for _ in range(num_layers))
        self.norm = nn.RMSNorm(dim, eps=norm_eps)
        self.lm_head = nn.Linear(dim, vocab_size, bias=False)
        if tiny_init:
            tiny_init_(self, dim, num_layers)
        else:
            for m in self.modules():
                if isinstance(m, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(m.weight, std=0.02)
        if tie_embeddings:
            self.lm_head.weight = self.embed.weight

    def pruning_spec(self) -> dict:
        """Modules outside the blocks that touch the hidden width D (used by width pruning)."""
        return dict(embeddings=[self.embed], norms=[self.norm], readers=[self.lm_head], writers=[], vectors=[])

    def hidden_states(self, ids: torch.Tensor, cache: Optional[KVCache] = None):
        """ids (B, L) -> final-normed hidden states (B, L, D) and the new KV cache."""
        if ids.dim() != 2 or ids.dtype not in (torch.int64, torch.int32):
            raise ValueError(f'PanguReferenceLM expects int token ids (B, L), got {tuple(ids.shape)} {ids.dtype}')
        past = cache[0][0].shape[2] if cache else 0
        if not cache:  # a new sequence: cores that keep per-sequence state (ESA incremental mode) start afresh
            for block in self.blocks:
                if callable(getattr(block.attn.core, 'reset_cache', None)):
                    block.attn.core.reset_cache()
        positions = torch.arange(past, past + ids.shape[1], device=ids.device)
        h = self.embed(ids)
        new_cache = []
        for i, block in enumerate(self.blocks):
            h, layer_cache = block(h, positions, cache[i] if cache else None)
            new_cache.append(layer_cache)
        return self.norm(h), new_cache

    @torch.no_grad()
    def residual_rms(self, ids: torch.Tensor) -> torch.Tensor:
        """RMS of the residual stream (L + 1,): after the embedding and after every block, for ids (B, L)."""
        positions = torch.arange(ids.shape[1], device=ids.device)
        h = self.embed(ids)
        rms = [h.float().pow(2).mean().sqrt()]
        for block in self.blocks:
            h, _ = block(h, positions)
            rms.append(h.float().pow(2).mean().sqrt())
        return torch.stack(rms)

    def forward(self, ids: torch.Tensor, cache: Optional[KVCache] = None, return_cache: bool = False):
        h, new_cache = self.hidden_states(ids, cache)
        logits = self.lm_head(h)
        return (logits, new_cache) if return_cache else logits

    def aux_losses(self) -> Optional[torch.Tensor]:
        """Sum of the ``aux_loss`` of the feed-forwards of the last forward (None when there is none)."""
        losses = [b.ffn.aux_loss for b in self.blocks if isinstance(getattr(b.ffn, 'aux_loss', None), torch.Tensor)]
        return torch.stack(losses).sum() if losses else None

    def loss(self, ids: torch.Tensor) -> dict:
        """Next-token prediction on ids (B, L): ``loss_lm`` and, with MoGE, ``loss_moge_balance``."""
        logits = self(ids[:, :-1])
        losses = dict(loss_lm=F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1)))
        aux = self.aux_losses()
        if aux is not None:
            losses['loss_moge_balance'] = aux
        return losses

    @torch.no_grad()
    def generate(self, ids: torch.Tensor, max_new_tokens: int = 32, temperature: float = 0.0,
                 generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Continue ids (B, L) by ``max_new_tokens`` tokens with a KV cache: greedy when ``temperature`` is 0, else
        sampled. Returns (B, L + max_new_tokens)."""
        logits, cache = self(ids, return_cache=True)
        out = [ids]
        for step in range(max_new_tokens):
            last = logits[:, -1].float()
            if temperature > 0:
                nxt = torch.multinomial(torch.softmax(last / temperature, dim=-1), 1, generator=generator)
            else:
                nxt = last.argmax(dim=-1, keepdim=True)
            out.append(nxt)
            if step + 1 < max_new_tokens:
                logits, cache = self(nxt, cache=cache, return_cache=True)
        return torch.cat(out, dim=1)

    def num_parameters(self) -> int:
        return count_parameters(self)


def count_parameters(module: nn.Module) -> int:
    """Number of distinct parameters (shared ones counted once)."""
    return sum(p.numel() for p in {id(p): p for p in module.parameters()}.values())


__all__ = ['PanguAttention', 'PanguDecoderBlock', 'PanguReferenceLM', 'apply_rope', 'rope_cos_sin',
           'count_parameters']
