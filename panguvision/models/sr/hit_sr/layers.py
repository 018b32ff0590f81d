"""Building blocks shared by the three HiT-SR networks.

Implements the pieces of *HiT-SR: Hierarchical Transformer for Efficient Image Super-Resolution* (Xiang Zhang,
Yulun Zhang, Fisher Yu, ECCV 2024) that HiT-SIR, HiT-SNG and HiT-SRF have in common: the dual feature extraction
(DFE), the dynamic relative-position bias, the spatial-channel correlation (SCC), the hierarchical transformer block,
the residual group and the SwinIR-style top level.

Attribute names (``conv_first``, ``layers.0.residual_group.blocks.0.correlation.qv.conv.0`` ...) follow the official
release (github.com/XiangZ-0/HiT-SR, ``basicsr/archs/hit_*_arch.py``) so that the authors' checkpoints load with
``strict=True``. The code itself is PanguVision's own; it computes the same function with fewer copies:

* the spatial branch is evaluated as ``q @ (v_r^T v_r) / d + B @ v_r`` (re-associated matrix products; ``B`` is the
  averaged position bias shared by all windows, so ``B @ v_r`` is one large matrix product per head);
* the averaged position bias is a box filter of the bias table followed by one gather (no ``L x L`` index);
* in eval mode everything that depends on weights only (position bias per window size) and on sizes only (gather
  indices, padding indices) is cached; caches are keyed by the version counters of the parameters they derive from
  and are dropped by :meth:`torch.nn.Module.train`.

Tensors are laid out ``(B, H, W, C)`` (channels last) inside the blocks; image tensors are ``(N, C, H, W)``.
"""
import functools
import math
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as torch_checkpoint

RGB_MEAN = (0.4488, 0.4371, 0.4040)


def to_2tuple(value) -> Tuple[int, int]:
    """Return ``(value, value)`` for a scalar, ``tuple(value)`` for a pair."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value, value)


class DropPath(nn.Module):
    """Stochastic depth per sample (identity in eval mode or when ``drop_prob`` is 0)."""

    def __init__(self, drop_prob: float = 0.):
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0. or not self.training:
            return x
        keep = 1. - self.drop_prob
        mask = x.new_empty((x.shape[0], ) + (1, ) * (x.ndim - 1)).bernoulli_(keep)
        return x * mask / keep


# ----------------------------------------------------------------------------------------------------------------
# Padding and window helpers
# ----------------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _reflect_indices(size: int, target: int) -> torch.Tensor:
    """Indices ``(target,)`` of a repeated reflection of ``range(size)`` (edge not repeated).

    For ``target - size < size`` this is exactly ``F.pad(..., mode='reflect')``; longer pads keep reflecting (the
    sequence is a triangle wave of period ``2 * (size - 1)``), which is what padding in several reflect steps gives.
    A length-1 axis is replicated.
    """
    positions = torch.arange(target)
    if size == 1:
        return torch.zeros_like(positions)
    period = 2 * (size - 1)
    phase = positions % period
    return torch.where(phase < size, phase, period - phase)


def reflect_pad_hw(x: torch.Tensor, pad_h: int, pad_w: int) -> torch.Tensor:
    """Pad ``x`` of shape (B, H, W, C) at the bottom/right to (B, H + pad_h, W + pad_w, C).

    Uses reflect padding; pads at least as large as the axis (where ``F.pad`` refuses) keep reflecting, so every
    input size >= 1 works and sizes that the reference code accepts give the same values.
    """
    if pad_h == 0 and pad_w == 0:
        return x
    _, height, width, _ = x.shape
    if pad_h < height and pad_w < width:
        return F.pad(x.permute(0, 3, 1, 2), (0, pad_w, 0, pad_h), mode='reflect').permute(0, 2, 3, 1)
    if pad_h:
        x = x.index_select(1, _reflect_indices(height, height + pad_h).to(x.device))
    if pad_w:
        x = x.index_select(2, _reflect_indices(width, width + pad_w).to(x.device))
    return x


def pad_to_multiple(x: torch.Tensor, multiple: Tuple[int, int]) -> torch.Tensor:
    """Reflect-pad (B, H, W, C) at the bottom/right so that H and W are multiples of ``multiple``."""
    _, height, width, _ = x.shape
    return reflect_pad_hw(x, (-height) % multiple[0], (-width) % multiple[1])


def window_partition(x: torch.Tensor, window_size: Tuple[int, int]) -> torch.Tensor:
    """(B, H, W, C) -> (B * nW, Wh * Ww, C), windows in row-major order."""
    batch, height, width, channels = x.shape
    win_h, win_w = window_size
    x = x.view(batch, height // win_h, win_h, width // win_w, win_w, channels)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, win_h * win_w, channels)


def window_reverse(windows: torch.Tensor, window_size: Tuple[int, int], height: int, width: int) -> torch.Tensor:
    """(B * nW, Wh * Ww, C) -> (B, H, W, C); inverse of :func:`window_partition`."""
    win_h, win_w = window_size
    channels = windows.shape[-1]
    x = windows.view(-1, height // win_h, width // win_w, win_h, win_w, channels)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, height, width, channels)


def nhwc_conv(conv: Callable, x: torch.Tensor) -> torch.Tensor:
    """Apply an NCHW convolution to a (B, H, W, C) tensor without copies (channels-last memory format)."""
    return conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


# ----------------------------------------------------------------------------------------------------------------
# Caching of tensors derived from weights only
# ----------------------------------------------------------------------------------------------------------------


class WeightDerivedCache:
    """A small cache for tensors that depend on some parameters but not on the input.

    An entry is valid while the parameters are the same tensors at the same version counter (any in-place update,
    ``load_state_dict`` or optimiser step bumps it) and lives on the same device/dtype. Not part of the state dict.
    """

    def __init__(self):
        self._entries: Dict[tuple, Tuple[tuple, torch.Tensor]] = {}

    @staticmethod
    def signature(params: Sequence[torch.Tensor]) -> tuple:
        return tuple((p.data_ptr(), p._version, p.dtype, p.device) for p in params)

    def get(self, key: tuple, params: Sequence[torch.Tensor], build: Callable[[], torch.Tensor]) -> torch.Tensor:
        sig = self.signature(params)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == sig:
            return entry[1]
        with torch.no_grad():
            value = build()
        self._entries[key] = (sig, value)
        return value

    def clear(self):
        self._entries.clear()


class CachedModule(nn.Module):
    """Module mixin whose :class:`WeightDerivedCache` is dropped when switching train/eval."""

    def __init__(self):
        super().__init__()
        self._cache = WeightDerivedCache()

    def train(self, mode: bool = True):
        self._cache.clear()
        return super().train(mode)

    def use_cache(self, params: Sequence[torch.Tensor]) -> bool:
        """True in eval mode unless autograd must reach ``params`` through the cached tensor."""
        if self.training:
            return False
        return not (torch.is_grad_enabled() and any(p.requires_grad for p in params))


# ----------------------------------------------------------------------------------------------------------------
# Feature extraction, FFN
# ----------------------------------------------------------------------------------------------------------------


class DFE(nn.Module):
    """Dual feature extraction: ``conv_branch(x) * linear(x)``.

    ``conv`` is 1x1 C->C/5, LeakyReLU(0.2), 3x3 C/5->C/5, LeakyReLU(0.2), 1x1 C/5->out; ``linear`` is 1x1 C->out.

    Args:
        in_features (int): input channels C.
        out_features (int): output channels.
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        hidden = in_features // 5
        self.out_features = out_features
        self.conv = nn.Sequential(
            nn.Conv2d(in_features, hidden, 1), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(hidden, hidden, 3, 1, 1),
            nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(hidden, out_features, 1))
        self.linear = nn.Conv2d(in_features, out_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) features -> (B, H, W, out_features).

        The 1x1 convolutions run as token-wise linear maps on the channels-last tensor.
        """
        conv_in, _, conv_mid, _, conv_out = self.conv
        hidden = F.leaky_relu(F.linear(x, conv_in.weight.flatten(1), conv_in.bias), 0.2)
        hidden = F.leaky_relu(nhwc_conv(conv_mid, hidden), 0.2)
        gate = F.linear(hidden, conv_out.weight.flatten(1), conv_out.bias)
        return gate * F.linear(x, self.linear.weight.flatten(1), self.linear.bias)


class Mlp(nn.Module):
    """Token-wise feed-forward network fc1 -> act -> drop -> fc2 -> drop on (..., C) tensors."""

    def __init__(self, in_features: int, hidden_features: Optional[int] = None, out_features: Optional[int] = None,
                 act_layer=nn.GELU, drop: float = 0.):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop = nn.Dropout(drop)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """Hook between the activation and the first dropout; (B, H, W, hidden) -> same shape."""
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) -> (B, H, W, out_features)."""
        x = self.hidden(self.act(self.fc1(x)))
        return self.drop(self.fc2(self.drop(x)))


# ----------------------------------------------------------------------------------------------------------------
# Spatial-channel correlation
# ----------------------------------------------------------------------------------------------------------------


class DynamicPosBias(nn.Module):
    """Relative-position bias generated by an MLP on the relative coordinates (as in CrossFormer).

    Args:
        dim (int): ``pos_dim = dim // 4`` hidden features.
        num_heads (int): number of output biases per offset.
        residual (bool): residual connections around ``pos1``/``pos2``.
    """

    def __init__(self, dim: int, num_heads: int, residual: bool = False):
        super().__init__()
        self.residual = residual
        self.num_heads = num_heads
        self.pos_dim = dim // 4
        self.pos_proj = nn.Linear(2, self.pos_dim)
        self.pos1 = self._stage(self.pos_dim, self.pos_dim)
        self.pos2 = self._stage(self.pos_dim, self.pos_dim)
        self.pos3 = self._stage(self.pos_dim, num_heads)

    @staticmethod
    def _stage(in_dim: int, out_dim: int) -> nn.Sequential:
        return nn.Sequential(nn.LayerNorm(in_dim), nn.ReLU(inplace=True), nn.Linear(in_dim, out_dim))

    def forward(self, offsets: torch.Tensor) -> torch.Tensor:
        """(K, 2) float (dy, dx) offsets in pixels -> (K, num_heads) biases."""
        pos = self.pos_proj(offsets)
        if self.residual:
            pos = pos + self.pos1(pos)
            pos = pos + self.pos2(pos)
        else:
            pos = self.pos2(self.pos1(pos))
        return self.pos3(pos)


@functools.lru_cache(maxsize=64)
def _averaged_bias_index(window_size: Tuple[int, int], base_size: Tuple[int, int]) -> torch.Tensor:
    """Flat indices (L, M) into the box-filtered bias table of shape (2Wh - sh, 2Ww - sw).

    Token ``i = (y, x)`` of the window and sub-block ``m = (my, mx)`` of size ``(sh, sw)`` read the table at
    ``(y - my * sh + Wh - sh, x - mx * sw + Ww - sw)``.
    """
    win_h, win_w = window_size
    sub_h, sub_w = win_h // base_size[0], win_w // base_size[1]
    ys, xs = torch.meshgrid(torch.arange(win_h), torch.arange(win_w), indexing='ij')
    mys, mxs = torch.meshgrid(torch.arange(base_size[0]), torch.arange(base_size[1]), indexing='ij')
    rows = ys.reshape(-1, 1) - mys.reshape(1, -1) * sub_h + win_h - sub_h
    cols = xs.reshape(-1, 1) - mxs.reshape(1, -1) * sub_w + win_w - sub_w
    return rows * (2 * win_w - sub_w) + cols


class SCC(CachedModule):
    """Spatial-channel correlation on one window size (no softmax).

    ``qv = DFE(x)``; q = first half of the channels, v = second half, split in ``num_heads`` heads of size
    ``head_dim``. Spatial branch per window and head: v is reduced from L = Wh*Ww tokens to M = bh*bw tokens
    (``bh = min(Wh, base_h)``) by ``spatial_linear`` over each contiguous sub-block;
    ``out = (q v_r^T / head_dim + bias) v_r`` with ``bias`` (heads, L, M) the dynamic position bias averaged over each
    sub-block. Channel branch (single head): ``out = v (q^T v / L)^T``. Both halves are concatenated and projected.

    Args:
        dim (int): channels C.
        base_win_size (tuple[int]): base window (bh, bw) before clipping to the window.
        window_size (tuple[int]): window (Wh, Ww).
        num_heads (int): heads of the spatial branch.
        value_drop (float): dropout on the value in both branches.
        proj_drop (float): dropout after the projection.
    """

    def __init__(self, dim: int, base_win_size: Sequence[int], window_size: Sequence[int], num_heads: int,
                 value_drop: float = 0., proj_drop: float = 0.):
        super().__init__()
        self.dim = dim
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        self.head_dim = -(-dim // (2 * num_heads))  # rounded up, as in the official HiT-SNG
        self.attn_dim = 2 * num_heads * self.head_dim
        self.base_win_size = (min(self.window_size[0], base_win_size[0]), min(self.window_size[1], base_win_size[1]))
        self.sub_size = (self.window_size[0] // self.base_win_size[0], self.window_size[1] // self.base_win_size[1])
        self.scale = self.head_dim

        self.qv = DFE(dim, self.attn_dim)
        self.proj = nn.Linear(self.attn_dim, dim)
        self.value_drop = nn.Dropout(value_drop)
        self.proj_drop = nn.Dropout(proj_drop)
        self.spatial_linear = nn.Linear(self.sub_size[0] * self.sub_size[1], 1)
        self.pos = DynamicPosBias(dim // 4, num_heads, residual=False)

    def extra_repr(self) -> str:
        return f'dim={self.dim}, window_size={self.window_size}, num_heads={self.num_heads}'

    # -- position bias --------------------------------------------------------------------------------------------

    def _build_position_bias(self, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """Averaged dynamic position bias (heads, L, M)."""
        win_h, win_w = self.window_size
        dy = torch.arange(1 - win_h, win_h, device=device)
        dx = torch.arange(1 - win_w, win_w, device=device)
        offsets = torch.stack(torch.meshgrid(dy, dx, indexing='ij'), dim=-1).reshape(-1, 2).to(dtype)
        table = self.pos(offsets).t().reshape(self.num_heads, 2 * win_h - 1, 2 * win_w - 1)
        if self.sub_size != (1, 1):
            table = F.avg_pool2d(table.unsqueeze(0), self.sub_size, stride=1).squeeze(0)
        index = _averaged_bias_index(self.window_size, self.base_win_size).to(device)
        return table.flatten(1)[:, index]

    def position_bias(self, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """(heads, L, M) bias; cached in eval mode."""
        params = list(self.pos.parameters())
        if not self.use_cache(params):
            return self._build_position_bias(device, dtype)
        return self._cache.get(('bias', device, dtype), params, lambda: self._build_position_bias(device, dtype))

    # -- branches -------------------------------------------------------------------------------------------------

    def reduce_values(self, v: torch.Tensor) -> torch.Tensor:
        """Spatial linear reduction of window values.

        Args:
            v: (N, L, Cv) values of N windows (L = Wh * Ww, row-major).

        Returns:
            (N, M, Cv): one token per contiguous sub-block (sh, sw), M = bh * bw.
        """
        weight, bias = self.spatial_linear.weight, self.spatial_linear.bias
        if self.sub_size == (1, 1):
            return v * weight[0, 0] + bias[0]
        (base_h, base_w), (sub_h, sub_w) = self.base_win_size, self.sub_size
        num_win, channels = v.shape[0], v.shape[-1]
        v = v.view(num_win, base_h, sub_h, base_w, sub_w, channels).permute(0, 1, 3, 5, 2, 4)
        v = v.reshape(num_win, base_h * base_w, channels, sub_h * sub_w)
        return F.linear(v, weight, bias).squeeze(-1)

    def correlate(self, windows: torch.Tensor, v_reduced: torch.Tensor) -> torch.Tensor:
        """Both branches on N windows.

        Args:
            windows: (N, L, 2 * Cq) queries then values (Cq = heads * d).
            v_reduced: (N, M, Cq) spatially reduced values.

        Returns:
            (N, L, 2 * Cq): spatial branch then channel branch.

        The spatial branch ``(q v_r^T / s + bias) v_r`` is computed as ``q G + bias v_r`` with
        ``G = v_r^T v_r / s`` block-diagonal over heads (d x d blocks); the channel branch is ``v (q^T v / L)^T``.
        Both token-wise products are done by one (L x 2Cq) @ (2Cq x 2Cq) product per window.
        """
        num_win, length, width = windows.shape[0], windows.shape[1], windows.shape[2] // 2
        q, v = windows[..., :width], windows[..., width:]
        num_base = v_reduced.shape[1]
        heads, head_dim = self.num_heads, self.head_dim
        v_r = v_reduced.view(num_win, num_base, heads, head_dim).transpose(1, 2)  # N, h, M, d
        v_used = self.value_drop(v_r)
        gram = v_r.transpose(-2, -1) @ v_used / self.scale  # N, h, d, d
        mixing = q.new_zeros(num_win, 2, width, 2, width)
        spatial_block = mixing[:, 0, :, 0].view(num_win, heads, head_dim, heads, head_dim)
        spatial_block.diagonal(dim1=1, dim2=3).copy_(gram.permute(0, 2, 3, 1))
        corr = q.transpose(-2, -1) @ v / length  # N, Cq, Cq
        mixing[:, 1, :, 1] = corr.transpose(-2, -1)
        if self.training and self.value_drop.p > 0:
            windows = torch.cat([q, self.value_drop(v)], dim=-1)
        out = windows @ mixing.view(num_win, 2 * width, 2 * width)
        # position bias (h, L, M) is shared by all windows: one (L x M) @ (M x N*d) product per head
        bias = self.position_bias(q.device, q.dtype)
        values = v_used.permute(1, 2, 0, 3).reshape(heads, num_base, num_win * head_dim)
        out_bias = (bias @ values).view(heads, length, num_win, head_dim).permute(2, 1, 0, 3)
        out[..., :width].view(num_win, length, heads, head_dim).add_(out_bias)
        return out

    # -- forward --------------------------------------------------------------------------------------------------

    def partition(self, qv: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C') map -> (B * nW, L, C') windows; HiT-SNG adds N-gram context here."""
        return window_partition(qv, self.window_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Correlate a padded map.

        Args:
            x: (B, H, W, C) features, H and W multiples of the window size.

        Returns:
            (B, H, W, attn_dim) fused features before ``proj`` (applied by the caller after cropping, as a token-wise
            linear it commutes with cropping).
        """
        _, height, width, _ = x.shape
        half = self.attn_dim // 2
        windows = self.partition(self.qv(x))
        fused = self.correlate(windows, self.reduce_values(windows[..., half:]))
        return window_reverse(fused, self.window_size, height, width)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Output projection (…, attn_dim) -> (…, C)."""
        return self.proj_drop(self.proj(x))


# ----------------------------------------------------------------------------------------------------------------
# Block, residual group, top level
# ----------------------------------------------------------------------------------------------------------------


class HierarchicalTransformerBlock(nn.Module):
    """Post-norm block: ``x = x + norm1(SCC(x))``, ``x = x + norm2(FFN(x))``.

    Args:
        dim (int): channels C.
        num_heads (int): SCC heads.
        base_win_size (tuple[int]): base window.
        window_size (tuple[int]): this block's window.
        mlp_ratio (float): FFN hidden = ``int(C * mlp_ratio)``.
        drop, value_drop, drop_path (float): dropout rates.
        act_layer, norm_layer: activation and normalisation classes.
        scc_cls: the correlation class (``SCC`` or a variant).
        ffn_cls: the feed-forward class (``Mlp`` or a variant).
        pad_factor (int): the map is padded to a multiple of ``pad_factor * window_size``.
    """

    def __init__(self, dim: int, num_heads: int, base_win_size: Sequence[int], window_size: Sequence[int],
                 mlp_ratio: float = 4., drop: float = 0., value_drop: float = 0., drop_path: float = 0.,
                 act_layer=nn.GELU, norm_layer=nn.LayerNorm, scc_cls=SCC, ffn_cls=Mlp, pad_factor: int = 1,
                 input_resolution=None):
        super().__init__()
        self.dim = dim
        self.input_resolution = input_resolution
        self.num_heads = num_heads
        self.window_size = tuple(window_size)
        self.mlp_ratio = mlp_ratio
        self.pad_multiple = (pad_factor * self.window_size[0], pad_factor * self.window_size[1])
        for win, base in zip(self.window_size, base_win_size):
            if win > base and win % base:
                raise ValueError(f'window size {self.window_size} must be <= or a multiple of {tuple(base_win_size)}')
        self.norm1 = norm_layer(dim)
        self.correlation = scc_cls(dim, base_win_size=base_win_size, window_size=self.window_size,
                                   num_heads=num_heads, value_drop=value_drop, proj_drop=drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()
        self.norm2 = norm_layer(dim)
        self.mlp = ffn_cls(in_features=dim, hidden_features=int(dim * mlp_ratio), act_layer=act_layer, drop=drop)

    def extra_repr(self) -> str:
        return f'dim={self.dim}, num_heads={self.num_heads}, window_size={self.window_size}, ' \
               f'mlp_ratio={self.mlp_ratio}'

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) -> (B, H, W, C)."""
        height, width = x.shape[1:3]
        corr = self.correlation(pad_to_multiple(x, self.pad_multiple))
        corr = self.correlation.project(corr[:, :height, :width])
        x = x + self.drop_path(self.norm1(corr))
        return x + self.drop_path(self.norm2(self.mlp(x)))


class BasicLayer(nn.Module):
    """``depth`` hierarchical blocks; block ``i`` uses window ``base_win_size * hier_win_ratios[i]``."""

    def __init__(self, dim: int, depth: int, num_heads: int, base_win_size: Sequence[int], mlp_ratio: float = 4.,
                 drop: float = 0., value_drop: float = 0., drop_path=0., norm_layer=nn.LayerNorm,
                 use_checkpoint: bool = False, hier_win_ratios: Sequence[float] = (0.5, 1, 2, 4, 6, 8),
                 block_kwargs: Optional[dict] = None, input_resolution=None):
        super().__init__()
        self.dim = dim
        self.depth = depth
        self.use_checkpoint = use_checkpoint
        self.win_hs = [int(base_win_size[0] * ratio) for ratio in hier_win_ratios]
        self.win_ws = [int(base_win_size[1] * ratio) for ratio in hier_win_ratios]
        self.blocks = nn.ModuleList([
            HierarchicalTransformerBlock(
                dim=dim, num_heads=num_heads, base_win_size=base_win_size,
                window_size=(self.win_hs[i], self.win_ws[i]), mlp_ratio=mlp_ratio, drop=drop, value_drop=value_drop,
                drop_path=drop_path[i] if isinstance(drop_path, (list, tuple)) else drop_path,
                norm_layer=norm_layer, input_resolution=input_resolution, **(block_kwargs or {}))
            for i in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) -> (B, H, W, C)."""
        for block in self.blocks:
            if self.use_checkpoint and x.requires_grad:
                x = torch_checkpoint.checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        return x


def make_residual_conv(dim: int, resi_connection: str) -> nn.Module:
    """'1conv': one 3x3 conv; '3conv': 3x3 C->C/4, LReLU, 1x1, LReLU, 3x3 C/4->C."""
    if resi_connection == '1conv':
        return nn.Conv2d(dim, dim, 3, 1, 1)
    if resi_connection == '3conv':
        return nn.Sequential(
            nn.Conv2d(dim, dim // 4, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(dim // 4, dim // 4, 1),
            nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(dim // 4, dim, 3, 1, 1))
    raise ValueError(f"resi_connection must be '1conv' or '3conv', got {resi_connection!r}")


class RHTB(nn.Module):
    """Residual hierarchical transformer group: ``x + conv(blocks(x))`` on (B, H, W, C) maps."""

    def __init__(self, dim: int, resi_connection: str = '1conv', **layer_kwargs):
        super().__init__()
        self.dim = dim
        self.residual_group = BasicLayer(dim=dim, **layer_kwargs)
        self.conv = make_residual_conv(dim, resi_connection)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) -> (B, H, W, C)."""
        return nhwc_conv(self.conv, self.residual_group(x)) + x


class PatchEmbed(nn.Module):
    """(B, C, H, W) -> (B, H, W, C) tokens, optionally layer-normalised (patch size 1, as in SwinIR)."""

    def __init__(self, embed_dim: int, norm_layer=None):
        super().__init__()
        self.embed_dim = embed_dim
        self.norm = norm_layer(embed_dim) if norm_layer is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        return self.norm(x) if self.norm is not None else x


class PatchUnEmbed(nn.Module):
    """(B, H, W, C) tokens -> (B, C, H, W) image-shaped tensor (a view)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 3, 1, 2)


class UpsampleOneStep(nn.Sequential):
    """Lightweight reconstruction: 3x3 conv ``num_feat -> scale^2 * num_out_ch`` then PixelShuffle(scale)."""

    def __init__(self, scale: int, num_feat: int, num_out_ch: int):
        super().__init__(nn.Conv2d(num_feat, scale**2 * num_out_ch, 3, 1, 1), nn.PixelShuffle(scale))


class Upsample(nn.Sequential):
    """Classical reconstruction: (3x3 conv to 4C, PixelShuffle(2)) x log2(scale), or one x3 step."""

    def __init__(self, scale: int, num_feat: int):
        layers = []
        if scale & (scale - 1) == 0:
            for _ in range(int(math.log2(scale))):
                layers += [nn.Conv2d(num_feat, 4 * num_feat, 3, 1, 1), nn.PixelShuffle(2)]
        elif scale == 3:
            layers += [nn.Conv2d(num_feat, 9 * num_feat, 3, 1, 1), nn.PixelShuffle(3)]
        else:
            raise ValueError(f'scale {scale} is not supported; use 2^n or 3')
        super().__init__(*layers)


class HiTSRBase(nn.Module):
    """SwinIR-style HiT-SR network; subclasses choose the block (``block_kwargs``) and padding.

    Pipeline: normalise -> ``conv_first`` -> ``patch_embed`` (+LayerNorm) -> residual groups ``layers`` -> ``norm``
    -> ``conv_after_body`` + skip -> reconstruction -> de-normalise -> crop to (H * s, W * s).

    Args (names and defaults of the official ``HiT_*`` classes; defaults = the released models):
        img_size (int | tuple): training patch size, only used by ``ape``.
        patch_size (int): must be 1 (kept for option-dict compatibility).
        in_chans (int): image channels.
        embed_dim (int): feature channels.
        depths (list[int]), num_heads (list[int]): blocks and heads per residual group.
        base_win_size (list[int]): base window (h, w).
        mlp_ratio (float): FFN expansion.
        drop_rate, value_drop_rate, drop_path_rate (float): dropout, value dropout, stochastic depth.
        norm_layer: normalisation class.
        ape (bool): learnable absolute position embedding (fixed ``img_size`` inputs only).
        patch_norm (bool): LayerNorm after the patch embedding.
        use_checkpoint (bool): gradient checkpointing of the blocks.
        upscale (int): scale factor s.
        img_range (float): 1. or 255.
        upsampler (str): 'pixelshuffledirect' | 'pixelshuffle' | 'nearest+conv' | '' (no upsampling).
        resi_connection (str): '1conv' | '3conv'.
        hier_win_ratios (list[float]): window ratio of each block in a group.
    """

    block_kwargs: dict = {}

    def __init__(self, img_size=64, patch_size=1, in_chans=3, embed_dim=60, depths=(6, 6, 6, 6),
                 num_heads=(6, 6, 6, 6), base_win_size=(8, 8), mlp_ratio=2., drop_rate=0., value_drop_rate=0.,
                 drop_path_rate=0., norm_layer=nn.LayerNorm, ape=False, patch_norm=True, use_checkpoint=False,
                 upscale=4, img_range=1., upsampler='pixelshuffledirect', resi_connection='1conv',
                 hier_win_ratios=(0.5, 1, 2, 4, 6, 8), **kwargs):
        super().__init__()
        if to_2tuple(patch_size) != (1, 1):
            raise ValueError('HiT-SR works on pixels: patch_size must be 1')
        num_feat = 64
        self.img_range = img_range
        mean = RGB_MEAN if in_chans == 3 else (0., ) * in_chans
        self.mean = torch.tensor(mean).view(1, in_chans, 1, 1)  # plain attribute, not in the state dict
        self.upscale = upscale
        self.upsampler = upsampler
        self.base_win_size = to_2tuple(base_win_size)
        self.num_layers = len(depths)
        self.embed_dim = self.num_features = embed_dim
        self.ape = ape
        self.patch_norm = patch_norm
        self.mlp_ratio = mlp_ratio

        self.conv_first = nn.Conv2d(in_chans, embed_dim, 3, 1, 1)
        self.patch_embed = PatchEmbed(embed_dim, norm_layer if patch_norm else None)
        self.patch_unembed = PatchUnEmbed()
        if ape:
            img_h, img_w = to_2tuple(img_size)
            self.absolute_pos_embed = nn.Parameter(torch.zeros(1, img_h * img_w, embed_dim))
            nn.init.trunc_normal_(self.absolute_pos_embed, std=.02)
        self.pos_drop = nn.Dropout(drop_rate)

        drop_path = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        self.layers = nn.ModuleList()
        for i, depth in enumerate(depths):
            self.layers.append(
                RHTB(dim=embed_dim, depth=depth, num_heads=num_heads[i], base_win_size=self.base_win_size,
                     mlp_ratio=mlp_ratio, drop=drop_rate, value_drop=value_drop_rate,
                     drop_path=drop_path[sum(depths[:i]):sum(depths[:i + 1])], norm_layer=norm_layer,
                     use_checkpoint=use_checkpoint, resi_connection=resi_connection,
                     hier_win_ratios=hier_win_ratios, block_kwargs=self.block_kwargs))
        self.norm = norm_layer(embed_dim)
        self.conv_after_body = make_residual_conv(embed_dim, resi_connection)
        self._build_reconstruction(upsampler, upscale, embed_dim, num_feat, in_chans)
        self.apply(self._init_weights)

    def _build_reconstruction(self, upsampler, upscale, embed_dim, num_feat, num_out_ch):
        if upsampler == 'pixelshuffledirect':
            self.upsample = UpsampleOneStep(upscale, embed_dim, num_out_ch)
        elif upsampler == 'pixelshuffle':
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed_dim, num_feat, 3, 1, 1), nn.LeakyReLU(True))
            self.upsample = Upsample(upscale, num_feat)
            self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
        elif upsampler == 'nearest+conv':
            if upscale != 4:
                raise ValueError("upsampler 'nearest+conv' supports upscale 4 only")
            self.conv_before_upsample = nn.Sequential(nn.Conv2d(embed_dim, num_feat, 3, 1, 1), nn.LeakyReLU(True))
            self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
            self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
            self.lrelu = nn.LeakyReLU(0.2, inplace=True)
        else:
            self.conv_last = nn.Conv2d(embed_dim, num_out_ch, 3, 1, 1)

    @staticmethod
    def _init_weights(module: nn.Module):
        if isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def no_weight_decay(self):
        return {'absolute_pos_embed'}

    def no_weight_decay_keywords(self):
        return {'relative_position_bias_table'}

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) shallow features -> (N, C, H, W) deep features."""
        x = self.patch_embed(x)
        if self.ape:
            x = x + self.absolute_pos_embed.view(1, x.shape[1], x.shape[2], -1)
        x = self.pos_drop(x)
        for layer in self.layers:
            x = layer(x)
        return self.patch_unembed(self.norm(x))

    def _reconstruct(self, x: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        if self.upsampler == 'pixelshuffledirect':
            return self.upsample(x)
        if self.upsampler == 'pixelshuffle':
            return self.conv_last(self.upsample(self.conv_before_upsample(x)))
        if self.upsampler == 'nearest+conv':
            x = self.conv_before_upsample(x)
            x = self.lrelu(self.conv_up1(F.interpolate(x, scale_factor=2, mode='nearest')))
            x = self.lrelu(self.conv_up2(F.interpolate(x, scale_factor=2, mode='nearest')))
            return self.conv_last(self.lrelu(self.conv_hr(x)))
        return image + self.conv_last(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Super-resolve a batch.

        Args:
            x: (N, 3, H, W) float RGB in [0, 1] (any H, W >= 1).

        Returns:
            (N, 3, H * upscale, W * upscale) float RGB, nominally in [0, 1] (not clamped).
        """
        height, width = x.shape[2:]
        mean = self.mean.to(x)
        image = (x - mean) * self.img_range
        shallow = self.conv_first(image)
        x = self.conv_after_body(self.forward_features(shallow)) + shallow
        x = self._reconstruct(x, image)
        x = x / self.img_range + mean
        scale = self.upscale if self.upsampler else 1
        return x[:, :, :height * scale, :width * scale]
