"""Data sample for image restoration / super-resolution."""
import torch
from mmengine.structures import BaseDataElement


class SRDataSample(BaseDataElement):
    """One super-resolution sample.

    Data fields (all ``torch.Tensor`` of shape ``(3, H, W)``, RGB):

    - ``gt_img``: the high-resolution ground truth. Float in ``[0, 255]`` as packed by ``PackSRInputs``; the
      ``SRDataPreprocessor`` rescales it to ``[0, 1]`` on the model's device.
    - ``pred_img``: the model's output, float in ``[0, 1]``, clamped, shape ``(3, H*s, W*s)``.

    Meta fields (``metainfo``): ``img_id`` (str), ``scale`` (int), ``gt_path`` / ``lq_path`` (str or None),
    ``lq_shape`` ``(h, w)`` of the low-resolution input.
    """

    @property
    def gt_img(self) -> torch.Tensor:
        return self._gt_img

    @gt_img.setter
    def gt_img(self, value: torch.Tensor) -> None:
        self.set_field(value, '_gt_img', dtype=torch.Tensor)

    @gt_img.deleter
    def gt_img(self) -> None:
        del self._gt_img

    @property
    def pred_img(self) -> torch.Tensor:
        return self._pred_img

    @pred_img.setter
    def pred_img(self, value: torch.Tensor) -> None:
        self.set_field(value, '_pred_img', dtype=torch.Tensor)

    @pred_img.deleter
    def pred_img(self) -> None:
        del self._pred_img
