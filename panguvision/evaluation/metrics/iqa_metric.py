"""Learned image-quality metrics (LPIPS, DISTS, MUSIQ, CLIPIQA, MANIQA) through the ``pyiqa`` library, with weights
from local files only."""
import os.path as osp
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from panguvision.registry import METRICS

__all__ = ['PyIQAMetric', 'IQA_METRICS']

# pyiqa name -> (full reference, lower is better); the metrics of the real-world SR papers (ANCHORS.md, EAM).
IQA_METRICS: Dict[str, tuple] = dict(
    lpips=(True, True), dists=(True, True), musiq=(False, False), clipiqa=(False, False), maniqa=(False, False))


@METRICS.register_module()
class PyIQAMetric(BaseMetric):
    """Mean per-image score of a ``pyiqa`` metric on ``pred_img`` (against ``gt_img`` for full-reference ones).

    Nothing is downloaded: ``weights`` must name local files, checked at construction (a missing one raises
    ``FileNotFoundError`` naming it). The first file is passed to ``pyiqa.create_metric`` as
    ``pretrained_model_path``. Backbones that pyiqa loads separately (torchvision's AlexNet / VGG for LPIPS / DISTS,
    CLIP for CLIPIQA, the ViT of MANIQA) must already be in the local caches (``$TORCH_HOME/hub/checkpoints``, the
    Hugging Face cache): with no network pyiqa then fails with a download error naming the missing backbone.

    Images are the ``(3, H, W)`` RGB float tensors in ``[0, 1]`` of the data samples, measured on ``device``.
    Returns ``{metric_name.upper(): mean}`` (e.g. ``'LPIPS'``).

    Args:
        metric_name: a pyiqa metric name (:data:`IQA_METRICS` lists the tested ones; others are passed through).
        weights: a local weight file, or a list of files (all checked; the first one is given to pyiqa).
        metric_kwargs: extra keyword arguments of ``pyiqa.create_metric``.
        crop_border: pixels removed on every side before measuring.
        device: ``'cpu'``, ``'cuda'``, ``'npu'``...; ``None`` picks the available accelerator.
        collect_device: ``'cpu'`` or ``'gpu'``, where results are gathered in distributed runs.
        prefix: prefix of the result key.
    """

    def __init__(self,
                 metric_name: str,
                 weights: Union[str, Sequence[str]],
                 metric_kwargs: Optional[dict] = None,
                 crop_border: int = 0,
                 device: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        files = [weights] if isinstance(weights, str) else list(weights)
        if not files:
            raise ValueError(f'PyIQAMetric({metric_name!r}): weights must name at least one local file')
        for path in files:
            if not osp.isfile(path):
                raise FileNotFoundError(f'PyIQAMetric({metric_name!r}): weight file {path!r} does not exist; download '
                                        f"the metric's released weights once and pass their local path")
        try:
            import pyiqa
        except ImportError as err:
            raise ImportError(f'PyIQAMetric({metric_name!r}) needs the pyiqa package (pip install pyiqa)') from err
        self.metric_name = metric_name
        self.crop_border = int(crop_border)
        self.device = torch.device(device) if device is not None else self._auto_device()
        self.model = pyiqa.create_metric(
            metric_name, device=self.device, pretrained_model_path=files[0], **(metric_kwargs or {}))
        known = IQA_METRICS.get(metric_name.lower())
        self.full_reference = known[0] if known else getattr(self.model, 'metric_mode', 'NR') == 'FR'

    @staticmethod
    def _auto_device() -> torch.device:
        for name in ('cuda', 'npu'):
            module = getattr(torch, name, None)
            if module is not None and module.is_available():
                return torch.device(name)
        return torch.device('cpu')

    def _crop(self, img: torch.Tensor) -> torch.Tensor:
        b = self.crop_border
        return img[..., b:-b, b:-b] if b else img

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = self._crop(sample['pred_img'].float()[None].clamp(0, 1)).to(self.device)
            with torch.no_grad():
                if self.full_reference:
                    if 'gt_img' not in sample:
                        raise KeyError(f'{self.metric_name} is full-reference but sample '
                                       f'{sample.get("img_id", "?")!r} has no gt_img')
                    gt = self._crop(sample['gt_img'].float()[None].clamp(0, 1)).to(self.device)
                    score = self.model(pred, gt)
                else:
                    score = self.model(pred)
            self.results.append(float(score.reshape(-1)[0]))

    def compute_metrics(self, results: list) -> dict:
        return {self.metric_name.upper(): float(np.mean(results))}
