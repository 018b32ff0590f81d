"""MinkUNet backbone with a sparse-conv backend chosen by config, including a plain-torch one that trains on CPU.

``PortableMinkUNetBackbone`` subclasses mmdet3d's ``MinkUNetBackbone``: with ``sparseconv_backend`` set to
``'torchsparse'``, ``'spconv'`` or ``'minkowski'`` it *is* mmdet3d's backbone (same layers, same state dict); with
``'torch'`` it builds the same U-Net (input stem, ``num_stages`` encoder stages of a 2x2x2 stride-2 conv + residual
blocks, decoder stages of a 2x2x2 transposed conv, skip concatenation and residual blocks) on
:class:`~.torch_sparse_conv.TorchSparseConv3d`. Input and output are mmdet3d's: ``forward(voxel_features (N, C_in),
coors (N, 4) int)`` -> ``(N, decoder_channels[-1])`` features of the input voxels, so ``mmdet3d.MinkUNetHead`` and the
``MinkUNet`` segmentor are reused unchanged and a config switches to a CUDA backend by one key.
"""
from typing import List, Optional

import torch
from mmdet3d.models.backbones import MinkUNetBackbone
from torch import Tensor, nn

from panguvision.registry import MODELS
from .torch_sparse_conv import SparseVoxelTensor, TorchSparseConv3d, sparse_cat

__all__ = ['PortableMinkUNetBackbone', 'SparseConvBNReLU', 'SparseResBlock']


class SparseConvBNReLU(nn.Module):
    """``TorchSparseConv3d`` -> ``BatchNorm1d`` over voxels -> optional ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 transposed: bool = False, act: bool = True) -> None:
        super().__init__()
        self.conv = TorchSparseConv3d(in_channels, out_channels, kernel_size, stride, transposed=transposed)
        self.bn = nn.BatchNorm1d(out_channels)
        self.act = nn.ReLU(inplace=True) if act else nn.Identity()

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        x = self.conv(x)
        return x.replace_feature(self.act(self.bn(x.features)))


class SparseResBlock(nn.Module):
    """Basic residual block: two 3x3x3 submanifold convs, a 1x1x1 projection when the width changes."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = SparseConvBNReLU(in_channels, out_channels, 3)
        self.conv2 = SparseConvBNReLU(out_channels, out_channels, 3, act=False)
        self.downsample = (SparseConvBNReLU(in_channels, out_channels, 1, act=False)
                           if in_channels != out_channels else None)

    def forward(self, x: SparseVoxelTensor) -> SparseVoxelTensor:
        identity = x.features if self.downsample is None else self.downsample(x).features
        out = self.conv2(self.conv1(x))
        return out.replace_feature(torch.relu(out.features + identity))


@MODELS.register_module()
class PortableMinkUNetBackbone(MinkUNetBackbone):
    """mmdet3d's ``MinkUNetBackbone`` plus ``sparseconv_backend='torch'`` (CPU-trainable).

    Args (as mmdet3d's, plus):
        sparseconv_backend (str): ``'torch'`` (this file, any device) or one of mmdet3d's ``'torchsparse'``,
            ``'spconv'``, ``'minkowski'`` (CUDA).
        batch_first (bool): only for ``'torch'``: ``coors`` columns are ``(batch, x, y, z)`` (True, the
            ``Det3DDataPreprocessor(batch_first=True)`` layout) or ``(x, y, z, batch)``.
    """

    def __init__(self, in_channels: int = 4, base_channels: int = 32, num_stages: int = 4,
                 encoder_channels: List[int] = (32, 64, 128, 256), encoder_blocks: List[int] = (2, 2, 2, 2),
                 decoder_channels: List[int] = (256, 128, 96, 96), decoder_blocks: List[int] = (2, 2, 2, 2),
                 block_type: str = 'basic', sparseconv_backend: str = 'torch', batch_first: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        encoder_channels, decoder_channels = list(encoder_channels), list(decoder_channels)
        encoder_blocks, decoder_blocks = list(encoder_blocks), list(decoder_blocks)
        if sparseconv_backend != 'torch':
            super().__init__(in_channels, base_channels, num_stages, encoder_channels, encoder_blocks,
                             decoder_channels, decoder_blocks, block_type, sparseconv_backend, init_cfg)
            return
        if not num_stages == len(encoder_channels) == len(decoder_channels) == len(encoder_blocks) == len(
                decoder_blocks):
            raise ValueError(f'num_stages={num_stages} must equal the lengths of encoder/decoder channels and blocks')
        if block_type != 'basic':
            raise ValueError(f"sparseconv_backend='torch' implements block_type='basic' only, got {block_type!r}")
        nn.Module.__init__(self)  # skip mmdet3d's layer construction, keep BaseModule's init machinery
        from mmengine.model import BaseModule
        BaseModule.__init__(self, init_cfg)
        self.num_stages = num_stages
        self.sparseconv_backend = sparseconv_backend
        self.batch_first = batch_first
        self.out_channels = decoder_channels[-1]
        self.conv_input = nn.Sequential(
            SparseConvBNReLU(in_channels, base_channels, 3), SparseConvBNReLU(base_channels, base_channels, 3))
        enc = [base_channels] + encoder_channels
        dec = [enc[-1]] + decoder_channels
        self.encoder = nn.ModuleList()
        self.decoder = nn.ModuleList()
        for i in range(num_stages):
            layers = [SparseConvBNReLU(enc[i], enc[i], kernel_size=2, stride=2)]
            layers += [SparseResBlock(enc[i] if j == 0 else enc[i + 1], enc[i + 1]) for j in range(encoder_blocks[i])]
            self.encoder.append(nn.Sequential(*layers))
            up = SparseConvBNReLU(dec[i], dec[i + 1], kernel_size=2, stride=2, transposed=True)
            blocks = [SparseResBlock(dec[i + 1] + enc[-2 - i] if j == 0 else dec[i + 1], dec[i + 1])
                      for j in range(decoder_blocks[i])]
            self.decoder.append(nn.ModuleList([up, nn.Sequential(*blocks)]))

    def forward(self, voxel_features: Tensor, coors: Tensor) -> Tensor:
        """``voxel_features`` (N, C_in), ``coors`` (N, 4) int voxel indices -> ``(N, decoder_channels[-1])``."""
        if self.sparseconv_backend != 'torch':
            return super().forward(voxel_features, coors)
        coords = coors.long() if self.batch_first else coors.long()[:, [3, 0, 1, 2]]
        x = SparseVoxelTensor(voxel_features, coords)
        x = self.conv_input(x)
        laterals = [x]
        for stage in self.encoder:
            x = stage(x)
            laterals.append(x)
        laterals = laterals[:-1][::-1]
        for i, (up, blocks) in enumerate(self.decoder):
            x = blocks(sparse_cat(up(x), laterals[i]))
        return x.features
