"""Data preprocessor for monocular depth models."""
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from panguvision.registry import MODELS

__all__ = ['DepthDataPreprocessor']


@MODELS.register_module()
class DepthDataPreprocessor(BaseDataPreprocessor):
    """Stacks RGB inputs, normalises them with ``(x - mean) / std`` and moves them and the ground truth to the model's
    device.

    Input (``PackDepthInputs`` / ``PackDepthViews`` + ``pseudo_collate``): ``inputs`` a list of ``(3, H, W)`` or, for
    multi-view training samples, ``(V, 3, H, W)`` float tensors in ``[0, 255]``; ``data_samples`` whose optional
    ``gt_depth`` (``(1, H, W)`` or ``(V, 1, H, W)``, metres) is moved to the device.

    Output: ``{'inputs': (N, 3, H, W) or (N, V, 3, H, W) normalised float, 'data_samples': [...]}``.

    Args:
        mean, std: per-channel RGB statistics in ``[0, 255]`` units (ImageNet's by default, as the encoders expect).
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
            raise ValueError(f'DepthDataPreprocessor: need 3 means and 3 positive stds, got mean={mean}, std={std}')
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(3, 1, 1), persistent=False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(3, 1, 1), persistent=False)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if not isinstance(inputs, torch.Tensor):
            shapes = sorted({tuple(t.shape) for t in inputs})
            if len(shapes) != 1:
                raise ValueError(f'DepthDataPreprocessor: the inputs of one batch must share a shape, got {shapes}; '
                                 'crop to a fixed size for training or use batch_size=1 for whole images')
            inputs = torch.stack(list(inputs))
        if inputs.shape[-3] != 3:
            raise ValueError(f'DepthDataPreprocessor: expected RGB inputs (..., 3, H, W), got {tuple(inputs.shape)}')
        inputs = (inputs.float() - self.mean) / self.std
        data_samples: Optional[List] = data.get('data_samples')
        return {'inputs': inputs, 'data_samples': data_samples}
