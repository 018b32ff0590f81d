"""The one mmengine model wrapper shared by every super-resolution network of the suite."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from torch import nn

from panguvision.models.data_preprocessors import SRDataPreprocessor
from panguvision.models.sr.tiling import tiled_forward
from panguvision.registry import MODELS
from panguvision.structures import SRDataSample


@MODELS.register_module()
class SRModel(BaseModel):
    """Single-image super-resolution: a generator network trained with a pixel loss.

    Args:
        generator: config (or module) of the network, ``Tensor(N, 3, h, w) in [0, 1] ->
            Tensor(N, 3, h*s, w*s)``; it must expose its factor as ``upscale`` (HiT-SR, bicubic) or ``scale``.
        pixel_loss: config of the loss between prediction and GT, e.g. ``dict(type='mmdet.L1Loss')``. Optional for
            models that are only evaluated (the bicubic baseline).
        data_preprocessor: defaults to :class:`SRDataPreprocessor`.
        test_cfg: ``dict(tile_size=..., tile_overlap=...)`` switches on tiled inference (sizes in LR pixels).
        init_cfg: mmengine weight initialisation config.

    Loading released weights: a state dict whose keys are the generator's own (no ``generator.`` prefix, as in the
    authors' BasicSR/safetensors files) is accepted by :meth:`load_state_dict` and by mmengine's ``load_from``; the
    keys must then match the generator exactly, otherwise a ``KeyError`` lists what is missing and unexpected.
    """

    def __init__(self,
                 generator: Union[dict, nn.Module],
                 pixel_loss: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type=f'panguvision.{SRDataPreprocessor.__name__}')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.generator = MODELS.build(generator) if isinstance(generator, dict) else generator
        self.pixel_loss = MODELS.build(pixel_loss) if pixel_loss is not None else None
        self.test_cfg = dict(test_cfg or {})
        self._register_load_state_dict_pre_hook(self._accept_generator_state_dict)

    @property
    def scale(self) -> int:
        for name in ('upscale', 'scale'):
            if hasattr(self.generator, name):
                return int(getattr(self.generator, name))
        raise AttributeError(f'{type(self.generator).__name__} exposes neither `upscale` nor `scale`')

    # ------------------------------------------------------------------ forward
    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[SRDataSample]] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.generator(inputs)
        raise RuntimeError(f'Invalid mode "{mode}"; expected "loss", "predict" or "tensor"')

    def loss(self, inputs: torch.Tensor, data_samples: List[SRDataSample]) -> Dict[str, torch.Tensor]:
        if self.pixel_loss is None:
            raise RuntimeError(f'{type(self.generator).__name__}: the model has no pixel_loss, so it cannot be trained')
        pred = self.generator(inputs)
        gt = SRDataPreprocessor.stack_gt(data_samples)
        if pred.shape != gt.shape:
            raise ValueError(f'prediction {tuple(pred.shape)} and GT {tuple(gt.shape)} differ; is the dataset scale '
                             f'equal to the generator scale ({self.scale})?')
        return {'loss_pix': self.pixel_loss(pred, gt)}

    def infer(self, inputs: torch.Tensor) -> torch.Tensor:
        """Inference on ``Tensor(N, 3, h, w)`` in ``[0, 1]``, tiled when ``test_cfg`` asks; output clamped to [0, 1]."""
        tile_size = self.test_cfg.get('tile_size')
        with torch.no_grad():
            if tile_size:
                overlap = self.test_cfg.get('tile_overlap', 32)
                out = tiled_forward(self.generator, inputs, self.scale, tile_size, overlap)
            else:
                out = self.generator(inputs)
        return out.clamp_(0, 1)

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[SRDataSample]] = None) -> List[SRDataSample]:
        preds = self.infer(inputs)
        if data_samples is None:
            data_samples = [SRDataSample() for _ in range(preds.shape[0])]
        for sample, pred in zip(data_samples, preds):
            if 'gt_img' in sample and sample.gt_img.shape != pred.shape:
                # Datasets mod-crop GT to a multiple of the scale; the prediction of an LR that was not made from
                # exactly that GT can be one row larger. Crop to the GT for evaluation.
                gh, gw = sample.gt_img.shape[-2:]
                pred = pred[:, :gh, :gw]
            sample.pred_img = pred
        return data_samples

    # ------------------------------------------------------------------ weights
    def _accept_generator_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                                     unexpected_keys, error_msgs):
        """Prefix raw generator weights (released files) with ``generator.`` so they load into this wrapper."""
        ours = f'{prefix}generator.'
        own_keys = [k for k in state_dict if k.startswith(prefix)]
        if not own_keys or any(k.startswith(ours) for k in own_keys):
            return
        raw = {k[len(prefix):]: state_dict.pop(k) for k in own_keys}
        expected = set(self.generator.state_dict().keys())
        missing, unexpected = sorted(expected - set(raw)), sorted(set(raw) - expected)
        if missing or unexpected:
            raise KeyError(f'weights do not match {type(self.generator).__name__}: missing {missing[:8]} '
                           f'({len(missing)} in all), unexpected {unexpected[:8]} ({len(unexpected)} in all)')
        for key, value in raw.items():
            state_dict[ours + key] = value
