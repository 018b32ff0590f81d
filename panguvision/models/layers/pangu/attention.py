"""Pluggable attention cores of the GPT protocol: full SDPA and ESA (efficient selective attention).

A core is called as ``core(q, k, v, causal=True)`` on already projected, RoPE-applied tensors: q (B, H, Lq, Dh),
k / v (B, H, Lk, Dh) or (B, Hkv, Lk, Dh) with H % Hkv == 0 (grouped-query attention), Lq <= Lk. The queries are the
LAST Lq positions of the Lk keys (as with a KV cache), so query i sits at absolute position ``Lk - Lq + i``. It returns
(B, H, Lq, Dh).

ESA (Wang et al., "Efficient Selective Attention", Pangu long-context work) splits the keys visible to a chunk of
queries into initial tokens (attention sinks), middle tokens and local tokens. Middle tokens are scored with
low-dimensional compressed queries and keys (one linear compression of the concatenated heads, so one selection is
shared by all heads of the layer), the scores are smoothed with a 1-D max-pool over positions (a token next to an
important token is kept too: "proximity"), and only the top-k middle tokens are attended together with the initial,
local and current tokens. No library implements this token selection, hence the hand-written code below; the
attention itself is ``torch.nn.functional.scaled_dot_product_attention``.
"""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from panguvision.registry import MODELS


def _expand_kv(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor):
    """Repeat grouped K/V heads (B, Hkv, Lk, Dh) to the H query heads; checks the shapes of the protocol."""
    if q.dim() != 4 or k.dim() != 4 or v.dim() != 4:
        raise ValueError(f'attention core expects 4-D q, k, v (B, H, L, Dh); got {tuple(q.shape)}, '
                         f'{tuple(k.shape)}, {tuple(v.shape)}')
    if k.shape != v.shape or q.shape[0] != k.shape[0] or q.shape[-1] != k.shape[-1]:
        raise ValueError(f'q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}: batch, head_dim and the '
                         'k/v shapes must agree')
    if q.shape[2] > k.shape[2]:
        raise ValueError(f'more queries ({q.shape[2]}) than keys ({k.shape[2]}): the queries must be the last Lq '
                         'positions of the keys')
    heads, kv_heads = q.shape[1], k.shape[1]
    if heads % kv_heads:
        raise ValueError(f'{heads} query heads are not a multiple of {kv_heads} key/value heads')
    if kv_heads != heads:
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
    return k, v


def causal_offset_mask(lq: int, lk: int, device=None) -> torch.Tensor:
    """(Lq, Lk) bool mask, True where query i (absolute position Lk - Lq + i) may attend key j (j <= position)."""
    pos = torch.arange(lk - lq, lk, device=device)
    return torch.arange(lk, device=device)[None, :] <= pos[:, None]


def causal_pairs(lq: int, lk: int) -> int:
    """Number of True entries of :func:`causal_offset_mask` (attended (query, key) pairs), without building it."""
    return lq * (lk - lq) + lq * (lq + 1) // 2


@MODELS.register_module()
class SDPAttentionCore(nn.Module):
    """Full softmax attention through ``F.scaled_dot_product_attention`` (the default core).

    Causal masking is offset for Lq < Lk (queries are the last Lq positions). ``last_stats`` holds the number of
    attended (query, key) pairs per batch element and head, to compare with :class:`ESAttentionCore`.
    """

    def __init__(self, dropout: float = 0.0):
        super().__init__()
        self.dropout = dropout
        self.last_stats = {}

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = True) -> torch.Tensor:
        k, v = _expand_kv(q, k, v)
        lq, lk = q.shape[2], k.shape[2]
        drop = self.dropout if self.training else 0.0
        if not causal:
            self.last_stats = dict(attended_keys=lq * lk, full_keys=lq * lk)
            return F.scaled_dot_product_attention(q, k, v, dropout_p=drop)
        pairs = causal_pairs(lq, lk)
        self.last_stats = dict(attended_keys=pairs, full_keys=pairs)
        if lq == lk:
            return F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal=True)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=causal_offset_mask(lq, lk, q.device), dropout_p=drop)


@MODELS.register_module()
class ESAttentionCore(nn.Module):
    """Efficient selective attention for long causal sequences.

    Queries are processed in chunks of ``chunk_size``. For a chunk starting at absolute position s, the visible keys
    [0, s + chunk) are split into ``num_initial`` initial tokens [0, n_init), middle tokens [n_init, s - num_local)
    and local tokens [s - num_local, s + chunk) (the chunk itself, causally masked). Middle token j gets the score
    ``sum_i softmax_j(q~_i . k~_j / sqrt(Dh))`` over the chunk's queries i, where q~ / k~ (B, Lq, C) are the
    concatenated heads (H * Dh) times a compression matrix (H * Dh, C); the scores are max-pooled over positions with
    ``pool_kernel`` (odd) and the ``top_k`` best middle tokens are attended (the same tokens for all heads).
    When all middle tokens fit in ``top_k`` (short sequences) the result equals full causal attention.

    Args:
        top_k: middle tokens selected per chunk.
        num_initial: initial (sink) tokens always attended.
        num_local: preceding tokens always attended (besides the chunk itself).
        chunk_size: queries sharing one selection (defaults to ``num_local``); decoding uses chunks of one.
        compress_dim: C, the compressed width of queries and keys for scoring.
        compression: 'fixed' (a seeded random Gaussian projection scaled by 1/sqrt(C): inner products are preserved
            in expectation), 'identity' (C = H * Dh, exact scores) or 'pca' (fitted to calibration queries and keys
            with :meth:`calibrate`; until then it behaves like 'fixed').
        pool_kernel: width of the max-pool that smooths scores over positions (1 disables it).
        seed: seed of the fixed projection.
        incremental: keep the compressed keys between calls (decoding with a KV cache): a call whose Lk keys extend
            the previous call's keys compresses only the new ones. The caller promises that successive calls come
            from one growing sequence and calls :meth:`reset_cache` before a new one (``PanguReferenceLM`` does when
            it is called without a KV cache); a call with fewer keys or another batch size recompresses everything.

    ``last_stats``: ``attended_keys`` (query, key) pairs actually attended per batch element and head, ``full_keys``
    for full causal attention of the same call, and ``last_selected`` (B, k) the middle positions selected for the
    last chunk (None when nothing had to be selected).
    """

    def __init__(self, top_k: int = 256, num_initial: int = 4, num_local: int = 128, chunk_size: Optional[int] = None,
                 compress_dim: int = 32, compression: str = 'fixed', pool_kernel: int = 3, seed: int = 0,
                 incremental: bool = False):
        super().__init__()
        if compression not in ('fixed', 'identity', 'pca'):
            raise ValueError(f"ESAttentionCore: compression must be 'fixed', 'identity' or 'pca', got {compression!r}")
        if pool_kernel < 1 or pool_kernel % 2 == 0:
            raise ValueError(f'ESAttentionCore: pool_kernel must be a positive odd number, got {pool_kernel}')
        if min(top_k, num_local, compress_dim) < 1 or num_initial < 0:
            raise ValueError('ESAttentionCore: top_k, num_local and compress_dim must be >= 1, num_initial >= 0')
        self.top_k = top_k
        self.num_initial = num_initial
        self.num_local = num_local
        self.chunk_size = chunk_size or num_local
        self.compress_dim = compress_dim
        self.compression = compression
        self.pool_kernel = pool_kernel
        self.seed = seed
        self.incremental = incremental
        self._key_cache = None  # (B, Lcached, C) compressed keys of the sequence so far (incremental mode)
        # (H * Dh, C) projection, created on the first call (the width is known only then) or by calibrate(); only
        # the fitted 'pca' one is saved in state dicts ('fixed' is re-made from the seed).
        self.register_buffer('proj', None, persistent=compression == 'pca')
        self.last_stats = {}

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        saved = state_dict.get(prefix + 'proj')
        if saved is not None and self.compression == 'pca':
            self.proj = torch.empty_like(saved)  # give the lazily created buffer its shape before loading
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # -- compression ---------------------------------------------------------------------------------------------
    def _projection(self, width: int, ref: torch.Tensor) -> Optional[torch.Tensor]:
        """The (width, C) compression matrix, or None for identity."""
        if self.compression == 'identity':
            return None
        if self.proj is None or self.proj.shape[0] != width:
            gen = torch.Generator().manual_seed(self.seed)
            dim = min(self.compress_dim, width)
            self.proj = (torch.randn(width, dim, generator=gen) / math.sqrt(dim)).to(ref.device)
        return self.proj.to(device=ref.device, dtype=ref.dtype)

    @torch.no_grad()
    def calibrate(self, q: torch.Tensor, k: torch.Tensor) -> None:
        """Fit the 'pca' compression: the top-C principal directions (uncentred) of the concatenated-head queries and
        keys of a calibration batch, q (B, H, Lq, Dh) and k (B, H, Lk, Dh); inner products inside that subspace are
        kept exactly."""
        if self.compression != 'pca':
            raise RuntimeError(f"calibrate() needs compression='pca', this core uses {self.compression!r}")
        k, _ = _expand_kv(q, k, k)
        feats = torch.cat([self._flat(q), self._flat(k)], dim=1).reshape(-1, q.shape[1] * q.shape[3]).float()
        cov = feats.T @ feats / feats.shape[0]
        _, vecs = torch.linalg.eigh(cov)  # ascending eigenvalues
        self.proj = vecs[:, -min(self.compress_dim, vecs.shape[1]):].flip(1).contiguous().to(q.dtype)

    @staticmethod
    def _flat(x: torch.Tensor) -> torch.Tensor:
        """(B, H, L, Dh) -> (B, L, H * Dh)."""
        b, h, length, d = x.shape
        return x.transpose(1, 2).reshape(b, length, h * d)

    @staticmethod
    def _compress(x: torch.Tensor, proj: Optional[torch.Tensor]) -> torch.Tensor:
        """(B, H, L, Dh) -> (B, L, C): the concatenated heads times the (H * Dh, C) projection (identity: None)."""
        if proj is None:
            return ESAttentionCore._flat(x)
        b, h, length, d = x.shape
        return torch.einsum('bhld,hdc->blc', x, proj.view(h, d, -1))

    def reset_cache(self) -> None:
        """Forget the compressed keys kept in incremental mode (call before a new sequence)."""
        self._key_cache = None

    def _compressed_keys(self, k: torch.Tensor, proj: Optional[torch.Tensor]) -> torch.Tensor:
        cached = self._key_cache
        if not self.incremental:
            return self._compress(k, proj)
        if cached is None or cached.shape[0] != k.shape[0] or cached.shape[1] > k.shape[2] \
                or cached.dtype != k.dtype or cached.device != k.device:
            cached = self._compress(k, proj)
        elif cached.shape[1] < k.shape[2]:
            cached = torch.cat([cached, self._compress(k[:, :, cached.shape[1]:], proj)], dim=1)
        self._key_cache = cached
        return cached

    # -- selection -----------------------------------------------------------------------------------------------
    def select(self, qc: torch.Tensor, kc: torch.Tensor, scale: float) -> torch.Tensor:
        """Top-k middle positions (B, k), sorted, from compressed chunk queries qc (B, Lc, C) and middle keys
        kc (B, M, C)."""
        scores = torch.softmax(qc @ kc.transpose(1, 2) * scale, dim=-1).sum(dim=1)  # (B, M)
        if self.pool_kernel > 1:
            scores = F.max_pool1d(scores[:, None], self.pool_kernel, stride=1, padding=self.pool_kernel // 2)[:, 0]
        idx = scores.topk(min(self.top_k, scores.shape[1]), dim=-1).indices
        return idx.sort(dim=-1).values

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = True) -> torch.Tensor:
        k, v = _expand_kv(q, k, v)
        b, h, lq, d = q.shape
        lk = k.shape[2]
        full_pairs = causal_pairs(lq, lk)
        if not causal:
            # The selection is defined for causal decoding; bidirectional calls get full attention.
            self.last_stats = dict(attended_keys=lq * lk, full_keys=lq * lk)
            return F.scaled_dot_product_attention(q, k, v)
        scale = 1.0 / math.sqrt(d)
        proj = self._projection(h * d, q)
        qf, kf = self._compress(q, proj), self._compressed_keys(k, proj)
        out = torch.empty_like(q)
        attended, selected = 0, None
        for c0 in range(0, lq, self.chunk_size):
            c1 = min(c0 + self.chunk_size, lq)
            start, end = lk - lq + c0, lk - lq + c1  # absolute positions of this chunk's queries
            mid_end = start - self.num_local
            n_mid = mid_end - self.num_initial
            qi = q[:, :, c0:c1]
            if n_mid <= self.top_k:  # everything fits: full causal attention over [0, end)
                mask = causal_offset_mask(c1 - c0, end, q.device)
                out[:, :, c0:c1] = F.scaled_dot_product_attention(qi, k[:, :, :end], v[:, :, :end], attn_mask=mask)
                attended += causal_pairs(c1 - c0, end)
                continue
            sel = self.select(qf[:, c0:c1], kf[:, self.num_initial:mid_end], scale) + self.num_initial  # (B, k)
            selected = sel
            local = torch.arange(mid_end, end, device=q.device)
            init = torch.arange(self.num_initial, device=q.device)
            index = torch.cat([init.expand(b, -1), sel, local.expand(b, -1)], dim=1)  # (B, n_keys)
            # index_select per batch element: ~100x faster than torch.gather with an expanded index on CPU.
            ks = torch.stack([k[i].index_select(1, index[i]) for i in range(b)])
            vs = torch.stack([v[i].index_select(1, index[i]) for i in range(b)])
            n_fixed = self.num_initial + sel.shape[1]
            mask = torch.cat([
                torch.ones(c1 - c0, n_fixed, dtype=torch.bool, device=q.device),
                causal_offset_mask(c1 - c0, end - mid_end, q.device)
            ], dim=1)
            out[:, :, c0:c1] = F.scaled_dot_product_attention(qi, ks, vs, attn_mask=mask)
            attended += (c1 - c0) * n_fixed + causal_pairs(c1 - c0, end - mid_end)
        self.last_stats = dict(attended_keys=attended, full_keys=full_pairs, last_selected=selected)
        return out
