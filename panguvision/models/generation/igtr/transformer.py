"""The IGTR / LlamaGen-style autoregressive transformer over raster-ordered VQ tokens, with a reasoning prefix.

Sequence layout (index ``s``): ``s = 0`` the condition token (class embedding or projected text embedding; the
null condition of classifier-free guidance is one more learned embedding), ``s = 1 .. K`` the reasoning-prefix
tokens (``K = num_prefix_slots``, 0 without the prefix), ``s = K + 1 .. K + N`` the ``N = h * w`` image tokens in
raster order. 2-D RoPE gives image token ``i`` the grid position ``(i // w, i % w)`` whatever ``K`` is, and the
``1 + K`` tokens before the image the diagonal positions ``(t - 1 - K, t - 1 - K)``, ``t = 0 .. K`` (they end at
``(-1, -1)``, just before the grid). Switching the prefix off therefore changes the sequence but not the positions
of the image tokens.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from panguvision.registry import MODELS
from .layers import DecoderBlock, KVCache, llama_ffn_hidden, rope_2d_angles

__all__ = ['IGTRTransformer']


@MODELS.register_module()
class IGTRTransformer(nn.Module):
    """Llama-style decoder (RMSNorm, SwiGLU, 2-D RoPE) predicting VQ tokens and reasoning-prefix words.

    Args:
        vocab_size: V, VQ codebook size.
        grid_size: ``(h, w)`` token grid (N = h * w image tokens).
        dim, depth, num_heads, num_kv_heads: width D, blocks, query heads, key/value heads.
        ffn_hidden: SwiGLU width; default Llama's ``2/3 * 4 * D`` rounded up to ``multiple_of``.
        multiple_of: rounding of the default ``ffn_hidden``.
        num_classes: classes of class conditioning (ignored when ``text_dim`` is set).
        text_dim: width of text-condition embeddings (e.g. the language adapter's ``embed``); switches to text
            conditioning.
        num_prefix_slots: K, reasoning-prefix tokens (0 = no prefix).
        prefix_vocab_size: size of the reasoning vocabulary (id 0 is the null word of the unconditional branch).
        attn_core: attention core config for every block (``SDPAttentionCore`` by default, ``ESAttentionCore``...).
        ffn: feed-forward config for every block (default SwiGLU; e.g. ``MoGEFeedForward``).
        sandwich_norm: post-norms on both residual branches, gains initialised to ``1 / sqrt(depth)``.
        tiny_init: TinyInit of every linear / embedding weight (std ``sqrt(1 / (2 D depth))``) instead of 0.02.
        rope_base: RoPE frequency base.
        norm_eps: RMSNorm epsilon.
        init_std: std of the default normal initialisation (the output heads start at zero, as in LlamaGen).
    """

    def __init__(self,
                 vocab_size: int,
                 grid_size: Union[int, Sequence[int]] = 16,
                 dim: int = 768,
                 depth: int = 12,
                 num_heads: int = 12,
                 num_kv_heads: Optional[int] = None,
                 ffn_hidden: Optional[int] = None,
                 multiple_of: int = 256,
                 num_classes: int = 1000,
                 text_dim: Optional[int] = None,
                 num_prefix_slots: int = 0,
                 prefix_vocab_size: int = 0,
                 attn_core: Optional[dict] = None,
                 ffn: Optional[dict] = None,
                 sandwich_norm: bool = False,
                 tiny_init: bool = False,
                 rope_base: float = 10000.0,
                 norm_eps: float = 1e-5,
                 init_std: float = 0.02):
        super().__init__()
        self.grid_size = (grid_size, grid_size) if isinstance(grid_size, int) else tuple(grid_size)
        self.vocab_size, self.dim, self.depth = vocab_size, dim, depth
        self.num_image_tokens = self.grid_size[0] * self.grid_size[1]
        self.num_prefix_slots = int(num_prefix_slots)
        if self.num_prefix_slots and prefix_vocab_size < 2:
            raise ValueError(f'num_prefix_slots={num_prefix_slots} needs a reasoning vocabulary (prefix_vocab_size '
                             f'>= 2, id 0 = null), got {prefix_vocab_size}')
        self.cond_type = 'text' if text_dim else 'class'
        self.num_classes = num_classes
        self.tok_emb = nn.Embedding(vocab_size, dim)
        if self.cond_type == 'class':
            self.cls_emb = nn.Embedding(num_classes + 1, dim)  # row num_classes = null class
        else:
            self.text_proj = nn.Linear(text_dim, dim)
            self.null_text = nn.Parameter(torch.zeros(dim))
        if self.num_prefix_slots:
            self.prefix_emb = nn.Embedding(prefix_vocab_size, dim)
            self.prefix_head = nn.Linear(dim, prefix_vocab_size, bias=False)
        ffn_hidden = ffn_hidden or llama_ffn_hidden(dim, multiple_of)
        self.blocks = nn.ModuleList(
            DecoderBlock(dim, num_heads, num_kv_heads, ffn_hidden, attn_core, ffn, sandwich_norm, norm_eps)
            for _ in range(depth))
        self.norm = nn.RMSNorm(dim, eps=norm_eps)
        self.head = nn.Linear(dim, vocab_size, bias=False)

        angles = rope_2d_angles(self.positions(), dim // num_heads, rope_base)
        self.register_buffer('rope_cos', angles.cos(), persistent=False)
        self.register_buffer('rope_sin', angles.sin(), persistent=False)
        self._init_weights(init_std, tiny_init, sandwich_norm)

    # ------------------------------------------------------------------ layout
    @property
    def seq_len(self) -> int:
        """``1 + K + N``: condition, prefix and image tokens."""
        return 1 + self.num_prefix_slots + self.num_image_tokens

    def positions(self) -> torch.Tensor:
        """``(1 + K + N, 2)`` RoPE (row, column) of every sequence index (see the module docstring)."""
        k, (h, w) = self.num_prefix_slots, self.grid_size
        pre = torch.arange(-(k + 1), 0, dtype=torch.float32)
        idx = torch.arange(h * w)
        grid = torch.stack([idx // w, idx % w], dim=1).float()
        return torch.cat([torch.stack([pre, pre], dim=1), grid], dim=0)

    def image_token_positions(self) -> torch.Tensor:
        """``(N, 2)`` RoPE positions of the image tokens (independent of the prefix)."""
        return self.positions()[1 + self.num_prefix_slots:]

    def _init_weights(self, std: float, tiny_init: bool, sandwich_norm: bool) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=std)
                if getattr(m, 'bias', None) is not None:
                    nn.init.zeros_(m.bias)
        if tiny_init:
            from panguvision.models.layers.pangu.sandwich_norm import tiny_init_
            tiny_init_(self, self.dim, self.depth)
        if sandwich_norm:
            from panguvision.models.layers.pangu.sandwich_norm import init_sandwich_post_norm_
            for block in self.blocks:
                init_sandwich_post_norm_(block.post_norm1, self.depth)
                init_sandwich_post_norm_(block.post_norm2, self.depth)
        nn.init.zeros_(self.head.weight)
        if self.num_prefix_slots:
            nn.init.zeros_(self.prefix_head.weight)

    # ------------------------------------------------------------------ embeddings
    def embed_cond(self, cond: torch.Tensor, drop: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Condition token ``(B, 1, D)``.

        Args:
            cond: ``(B,)`` class ids, or ``(B, text_dim)`` text embeddings.
            drop: ``(B,)`` bool, True = null condition (classifier-free guidance's unconditional branch).
        """
        if self.cond_type == 'class':
            if cond.dim() != 1:
                raise ValueError(f'class conditioning expects (B,) class ids, got shape {tuple(cond.shape)}')
            ids = cond.long()
            if drop is not None:
                ids = torch.where(drop, torch.full_like(ids, self.num_classes), ids)
            return self.cls_emb(ids)[:, None]
        if cond.dim() != 2:
            raise ValueError(f'text conditioning expects (B, text_dim) embeddings, got shape {tuple(cond.shape)}')
        emb = self.text_proj(cond.to(self.text_proj.weight.dtype))
        if drop is not None:
            emb = torch.where(drop[:, None], self.null_text.expand_as(emb), emb)
        return emb[:, None]

    def embed_prefix(self, ids: torch.Tensor) -> torch.Tensor:
        """Reasoning words ``(B, k)`` -> ``(B, k, D)``."""
        return self.prefix_emb(ids)

    def embed_image(self, ids: torch.Tensor) -> torch.Tensor:
        """VQ tokens ``(B, n)`` -> ``(B, n, D)``."""
        return self.tok_emb(ids)

    # ------------------------------------------------------------------ forward
    def new_caches(self, batch_size: int, device=None, dtype=None) -> List[KVCache]:
        """One empty :class:`KVCache` per block, sized for the whole sequence."""
        device = device or self.head.weight.device
        dtype = dtype or self.head.weight.dtype
        return [KVCache(batch_size, b.attn.num_kv_heads, self.seq_len, b.attn.head_dim, device, dtype)
                for b in self.blocks]

    def forward_hidden(self, x: torch.Tensor, start: int = 0, caches: Optional[List[KVCache]] = None) -> torch.Tensor:
        """Run the blocks on embeddings ``x`` (B, L, D) at sequence indices ``start .. start + L - 1`` -> normed
        hidden states (B, L, D). With ``caches`` (holding exactly the ``start`` earlier positions) they are reused and
        extended."""
        end = start + x.shape[1]
        if end > self.seq_len:
            raise ValueError(f'sequence indices {start}..{end - 1} exceed the sequence length {self.seq_len}')
        cos, sin = self.rope_cos[start:end], self.rope_sin[start:end]
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, caches[i] if caches is not None else None)
        return self.norm(x)

    def forward(self,
                cond: torch.Tensor,
                image_tokens: torch.Tensor,
                prefix: Optional[torch.Tensor] = None,
                drop: Optional[torch.Tensor] = None) -> Tuple[Optional[torch.Tensor], torch.Tensor]:
        """Teacher-forced logits.

        Args:
            cond: ``(B,)`` class ids or ``(B, text_dim)`` text embeddings.
            image_tokens: ``(B, N)`` VQ ids in raster order.
            prefix: ``(B, K)`` reasoning-word ids (required iff ``K > 0``).
            drop: ``(B,)`` bool null-condition mask.

        Returns:
            ``(prefix_logits (B, K, Vp) or None, image_logits (B, N, V))``: the prediction of every prefix word and
            image token from the tokens before it.
        """
        if image_tokens.shape[1] != self.num_image_tokens:
            raise ValueError(f'expected {self.num_image_tokens} image tokens ({self.grid_size} grid), got '
                             f'{image_tokens.shape[1]}')
        parts = [self.embed_cond(cond, drop)]
        k = self.num_prefix_slots
        if k:
            if prefix is None or prefix.shape[1] != k:
                raise ValueError(f'the transformer has {k} prefix slots; got prefix '
                                 f'{None if prefix is None else tuple(prefix.shape)}')
            parts.append(self.embed_prefix(prefix))
        parts.append(self.embed_image(image_tokens[:, :-1]))
        h = self.forward_hidden(torch.cat(parts, dim=1))
        prefix_logits = self.prefix_head(h[:, :k]) if k else None
        return prefix_logits, self.head(h[:, k:])

    def aux_loss(self) -> Optional[torch.Tensor]:
        """Sum of the feed-forwards' auxiliary losses of the last forward (MoGE balance), or None."""
        losses = [b.ffn.aux_loss for b in self.blocks if isinstance(getattr(b.ffn, 'aux_loss', None), torch.Tensor)]
        return torch.stack([loss.float() for loss in losses]).sum() if losses else None
