"""Sparse 3-D convolution on plain torch ops (CPU, CUDA, NPU alike).

Hand-written on purpose: mmcv's sparse conv has no CPU kernel, spconv 2.3.8's backward calls
``torch.cuda.current_stream`` and fails on a CPU-only machine, and torchsparse / MinkowskiEngine are CUDA builds
(see ``PLATFORM.md``). Training a voxel backbone on CPU therefore needs its own path. The algorithm is the usual one:

1. hash the integer voxel coordinates ``(b, x, y, z)`` into int64 keys, sort them once per voxel set;
2. for each kernel offset find the (input row, output row) pairs with ``torch.searchsorted`` (the *kernel map*),
   built once per voxel set / stride / kernel and cached in the tensor's shared ``cache`` dict;
3. per offset: gather the input rows, multiply by that offset's ``(C_in, C_out)`` weight, ``index_add_`` into the
   output rows. Autograd differentiates gather / matmul / index_add, so no custom backward is needed.

Semantics equal dense ``torch.nn.functional.conv3d`` (cross-correlation, weight layout ``(K, K, K, C_in, C_out)`` with
offsets ordered x, y, z) evaluated at the occupied output sites:

* submanifold (stride 1, odd kernel): outputs at the input sites, ``out[p] = sum_k W[k] x[p + k - K//2]``;
* strided: ``out[o] = sum_k W[k] x[s*o - pad + k]`` at every site ``o`` reached by an occupied input;
* transposed (the inverse of a strided conv, reusing its kernel map): ``out[s*o - pad + k] += W[k] x[o]``, at the
  fine sites that the strided conv started from.
"""
import itertools
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor, nn

__all__ = ['SparseVoxelTensor', 'TorchSparseConv3d', 'hash_coords', 'lookup_coords', 'offset_key', 'unhash_keys']

_BITS = 18  # bits per spatial axis in a key: coordinates in [-2**17, 2**17), batch index in [0, 2**9)
_OFFSET = 1 << (_BITS - 1)
_MAX_BATCH = 1 << (63 - 3 * _BITS)
_MARGIN = 64  # room for kernel offsets added to keys without re-checking


def hash_coords(coords: Tensor, check: bool = True) -> Tensor:
    """Int64 keys of ``(N, 4)`` integer coordinates ``(batch, x, y, z)``; distinct coordinates give distinct keys.

    Keys are linear in the coordinates: ``hash(c + (0, dx, dy, dz)) == hash(c) + offset_key(dx, dy, dz)`` while the
    shifted coordinates stay in range, which is how neighbours are looked up without re-hashing.
    """
    c = coords.long()
    if check and c.numel() and (int(c[:, 1:].min()) < -_OFFSET + _MARGIN or int(c[:, 1:].max()) >= _OFFSET - _MARGIN
                                or int(c[:, 0].min()) < 0 or int(c[:, 0].max()) >= _MAX_BATCH):
        raise ValueError(f'voxel coordinates out of the hashable range: batch in [0, {_MAX_BATCH}), x/y/z in '
                         f'[{-_OFFSET + _MARGIN}, {_OFFSET - _MARGIN}); got min {c.min(0).values.tolist()} max '
                         f'{c.max(0).values.tolist()}')
    return (c[:, 0] << (3 * _BITS)) + ((c[:, 1] + _OFFSET) << (2 * _BITS)) + ((c[:, 2] + _OFFSET) << _BITS) + (
        c[:, 3] + _OFFSET)


def offset_key(offsets: Tensor) -> Tensor:
    """Key increments ``(K, )`` of spatial offsets ``(K, 3)`` (see :func:`hash_coords`)."""
    o = offsets.long()
    return (o[:, 0] << (2 * _BITS)) + (o[:, 1] << _BITS) + o[:, 2]


def unhash_keys(keys: Tensor) -> Tensor:
    """Inverse of :func:`hash_coords`: keys ``(N,)`` -> ``(N, 4)`` coordinates."""
    mask = (1 << _BITS) - 1
    return torch.stack([keys >> (3 * _BITS), ((keys >> (2 * _BITS)) & mask) - _OFFSET,
                        ((keys >> _BITS) & mask) - _OFFSET, (keys & mask) - _OFFSET], 1)


class _CoordIndex:
    """Sorted keys of one voxel set, for ``lookup``: query keys -> row index (or -1 where absent)."""

    def __init__(self, coords: Tensor) -> None:
        self.keys = hash_coords(coords)
        self.sorted_keys, self.order = torch.sort(self.keys)

    def lookup_keys(self, q: Tensor) -> Tensor:
        if self.sorted_keys.numel() == 0:
            return torch.full(q.shape, -1, dtype=torch.long, device=q.device)
        pos = torch.searchsorted(self.sorted_keys, q).clamp_(max=self.sorted_keys.numel() - 1)
        return torch.where(self.sorted_keys[pos] == q, self.order[pos], torch.full_like(pos, -1))

    def lookup(self, query: Tensor) -> Tensor:
        return self.lookup_keys(hash_coords(query))


def lookup_coords(coords: Tensor, query: Tensor) -> Tensor:
    """Row of each ``query`` coordinate in ``coords`` (both ``(N, 4)`` int, batch first), -1 where absent."""
    return _CoordIndex(coords).lookup(query)


def _kernel_offsets(kernel_size: int, device) -> Tensor:
    """``(K**3, 3)`` offsets ``k`` in 0..K-1, x slowest, in the order of a ``(K, K, K)`` weight flattened."""
    r = range(kernel_size)
    return torch.tensor(list(itertools.product(r, r, r)), dtype=torch.long, device=device)


class SparseVoxelTensor:
    """Features on occupied voxels.

    Args:
        features (Tensor): ``(N, C)`` float.
        coords (Tensor): ``(N, 4)`` int, ``(batch, x, y, z)`` in units of this tensor's voxels.
        stride (int): voxel size of this tensor in units of the input voxels (1, 2, 4, ...).
        cache (dict, optional): coordinate indices and kernel maps shared by every tensor derived from one input.
    """

    def __init__(self, features: Tensor, coords: Tensor, stride: int = 1, cache: Optional[Dict] = None) -> None:
        if features.dim() != 2 or coords.dim() != 2 or coords.shape[1] != 4 or len(features) != len(coords):
            raise ValueError(f'expected features (N, C) and coords (N, 4); got {tuple(features.shape)} and '
                             f'{tuple(coords.shape)}')
        self.features = features
        self.coords = coords.long()
        self.stride = stride
        self.cache = {} if cache is None else cache
        self.cache.setdefault(('coords', stride), self.coords)

    # The attribute names of torchsparse / MinkowskiEngine, so that code written against them reads the same.
    @property
    def F(self) -> Tensor:  # noqa: N802
        return self.features

    @property
    def C(self) -> Tensor:  # noqa: N802
        return self.coords

    def replace_feature(self, features: Tensor) -> 'SparseVoxelTensor':
        return SparseVoxelTensor(features, self.coords, self.stride, self.cache)

    def index(self) -> _CoordIndex:
        key = ('index', self.stride)
        if key not in self.cache:
            self.cache[key] = _CoordIndex(self.coords)
        return self.cache[key]


def _submanifold_map(x: SparseVoxelTensor, kernel_size: int, dilation: int):
    key = ('subm', x.stride, kernel_size, dilation)
    if key not in x.cache:
        offsets = (_kernel_offsets(kernel_size, x.coords.device) - kernel_size // 2) * dilation
        index = x.index()
        pairs = []
        for dk in offset_key(offsets):
            src = index.lookup_keys(index.keys + dk)
            valid = src >= 0
            pairs.append((src[valid], valid.nonzero().squeeze(1)))
        x.cache[key] = pairs
    return x.cache[key]


def _strided_map(x: SparseVoxelTensor, kernel_size: int, stride: int, padding: int):
    """Output coordinates and per-offset (input row, output row) pairs of a strided conv; cached."""
    key = ('down', x.stride, kernel_size, stride, padding)
    if key not in x.cache:
        offsets = _kernel_offsets(kernel_size, x.coords.device)
        cand_rows, cand_out, cand_k = [], [], []
        for k, off in enumerate(offsets):
            shifted = x.coords[:, 1:] + padding - off  # = s * o for a valid output site o
            valid = (shifted % stride == 0).all(1)
            rows = valid.nonzero().squeeze(1)
            out = torch.cat([x.coords[rows, :1], torch.div(shifted[rows], stride, rounding_mode='floor')], 1)
            cand_rows.append(rows)
            cand_out.append(out)
            cand_k.append(torch.full_like(rows, k))
        out_keys, inverse = torch.unique(hash_coords(torch.cat(cand_out)), return_inverse=True)
        out_coords = unhash_keys(out_keys)
        pairs, start = [], 0
        for rows in cand_rows:
            pairs.append((rows, inverse[start:start + len(rows)]))
            start += len(rows)
        x.cache[key] = (out_coords, pairs)
    return x.cache[key]


class TorchSparseConv3d(nn.Module):
    """Sparse 3-D convolution (submanifold, strided or transposed) with gather -> matmul -> index_add per offset.

    Args:
        in_channels, out_channels (int): feature widths.
        kernel_size (int): cubic kernel size ``K``.
        stride (int): 1 = submanifold (output sites = input sites, needs an odd ``K``); > 1 = strided, or, with
            ``transposed=True``, the inverse of the strided conv that produced the input (outputs at its fine sites).
        padding (int): as in ``conv3d``; only used when ``stride > 1``.
        dilation (int): submanifold only.
        transposed (bool): transposed (up-sampling) convolution.
        bias (bool): add a bias.
    Input / output: :class:`SparseVoxelTensor`; output stride is ``stride`` times (or divided by) the input's.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, padding: int = 0,
                 dilation: int = 1, transposed: bool = False, bias: bool = False) -> None:
        super().__init__()
        if stride == 1 and kernel_size % 2 == 0:
            raise ValueError(f'a submanifold conv needs an odd kernel, got kernel_size={kernel_size}')
        if transposed and stride == 1:
            raise ValueError('transposed=True needs stride > 1')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.transposed = transposed
        self.weight = nn.Parameter(torch.empty(kernel_size ** 3, in_channels, out_channels))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        bound = 1.0 / (in_channels * kernel_size ** 3) ** 0.5
        nn.init.uniform_(self.weight, -bound * 3 ** 0.5, bound * 3 ** 0.5)  # kaiming-uniform with a=1 scale

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, '
                f'padding={self.padding}, transposed={self.transposed}')

    def _conv(self, feats: Tensor, pairs, num_out: int) -> Tensor:
        out = feats.new_zeros(num_out, self.out_channels)
        for k, (src, dst) in enumerate(pairs):
            if len(src):
                out.index_add_(0, dst, feats[src] @ self.weight[k])
        if self.bias is not None:
            out = out + self.bias
        return out

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        if x.features.shape[1] != self.in_channels:
            raise ValueError(f'{self.__class__.__name__}: expected {self.in_channels} input channels, got '
                             f'{x.features.shape[1]}')
        if self.stride == 1:
            pairs = _submanifold_map(x, self.kernel_size, self.dilation)
            return x.replace_feature(self._conv(x.features, pairs, len(x.coords)))
        if not self.transposed:
            out_coords, pairs = _strided_map(x, self.kernel_size, self.stride, self.padding)
            feats = self._conv(x.features, pairs, len(out_coords))
            return SparseVoxelTensor(feats, out_coords, x.stride * self.stride, x.cache)
        fine_stride = x.stride // self.stride
        key = ('down', fine_stride, self.kernel_size, self.stride, self.padding)
        if key not in x.cache or ('coords', fine_stride) not in x.cache:
            raise KeyError(f'transposed conv at stride {x.stride}: no strided conv with kernel {self.kernel_size}, '
                           f'stride {self.stride}, padding {self.padding} produced this tensor, so its fine sites are '
                           'unknown')
        _, pairs = x.cache[key]
        fine_coords = x.cache[('coords', fine_stride)]
        swapped = [(dst, src) for src, dst in pairs]
        feats = self._conv(x.features, swapped, len(fine_coords))
        return SparseVoxelTensor(feats, fine_coords, fine_stride, x.cache)


def sparse_cat(a: SparseVoxelTensor, b: SparseVoxelTensor) -> SparseVoxelTensor:
    """Concatenate the channels of two tensors on the same sites (``torchsparse.cat``)."""
    if a.stride != b.stride or a.coords.shape != b.coords.shape:
        raise ValueError(f'sparse_cat needs the same sites; got strides {a.stride} / {b.stride}, '
                         f'{len(a.coords)} / {len(b.coords)} voxels')
    return a.replace_feature(torch.cat([a.features, b.features], 1))


def dense_to_coords(occupancy: Tensor) -> Tuple[Tensor, Tensor]:
    """Occupied sites of a ``(B, X, Y, Z)`` bool grid -> ``(N, 4)`` coords and the flat indices (for tests/tools)."""
    coords = occupancy.nonzero()
    return coords, occupancy.flatten().nonzero().squeeze(1)
