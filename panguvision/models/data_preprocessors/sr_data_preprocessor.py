"""Data preprocessor for image restoration models."""
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from panguvision.registry import MODELS


@MODELS.register_module()
class SRDataPreprocessor(BaseDataPreprocessor):
    """Stacks LQ inputs and GT images, moves them to the model's device and rescales ``[0, 255] -> [0, 1]``.

    Input (from ``PackSRInputs`` through ``pseudo_collate``): ``{'inputs': [Tensor(3, h, w)] float in [0, 255],
    'data_samples': [SRDataSample]}`` whose ``gt_img`` is ``Tensor(3, H, W)`` float in ``[0, 255]``.

    Output: ``{'inputs': Tensor(N, 3, h, w) in [0, 1], 'data_samples': [SRDataSample]}`` with ``gt_img`` rescaled
    to ``[0, 1]`` on the same device. Normalisation by a mean (e.g. HiT-SR's RGB mean) is the network's own business,
    as in the released architectures, so their weights work unchanged.

    Args:
        pixel_range: the value of a white pixel in the packed tensors (255 for 8-bit images).
    """

    def __init__(self, pixel_range: float = 255.0, non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        self.pixel_range = float(pixel_range)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = self._stack('inputs', data['inputs']) / self.pixel_range
        data_samples: Optional[List] = data.get('data_samples')
        if data_samples is not None:
            for sample in data_samples:
                if 'gt_img' in sample:
                    sample.gt_img = sample.gt_img.float() / self.pixel_range
        return {'inputs': inputs, 'data_samples': data_samples}

    @staticmethod
    def _stack(name: str, tensors) -> torch.Tensor:
        if isinstance(tensors, torch.Tensor):
            return tensors.float()
        shapes = {tuple(t.shape) for t in tensors}
        if len(shapes) != 1:
            raise ValueError(f'SRDataPreprocessor: {name} of one batch must share a shape, got {sorted(shapes)}; '
                             'crop training patches (PairedRandomCrop) or use batch_size=1 for whole images')
        return torch.stack([t.float() for t in tensors])

    @staticmethod
    def stack_gt(data_samples: Sequence) -> torch.Tensor:
        """``Tensor(N, 3, H, W)`` of the samples' ``gt_img`` (already in ``[0, 1]``)."""
        return SRDataPreprocessor._stack('gt_img', [s.gt_img for s in data_samples])
