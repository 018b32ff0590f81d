"""Model construction and single-image inference for demos and notebooks."""
from typing import Optional, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from panguvision.datasets.transforms.formatting import image_to_tensor
from panguvision.registry import MODELS
from panguvision.utils.checkpoint import install_checkpoint_policy
from panguvision.utils.image_io import tensor_to_image


def resolve_device(device: Optional[str] = None) -> str:
    """``None`` or ``'auto'`` -> the device mmengine picks (``cuda``, ``npu``, ``mlu``, ``mps`` or ``cpu``)."""
    return get_device() if device in (None, 'auto') else device


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: Optional[str] = None,
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build the model of ``config`` in eval mode, load ``checkpoint`` strictly and move it to ``device``.

    ``checkpoint`` may be an mmengine checkpoint of this project or released weights as they are (BasicSR
    ``params``/``params_ema`` .pth, safetensors).
    """
    install_checkpoint_policy()
    cfg = Config.fromfile(config) if isinstance(config, str) else config.copy()
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'panguvision'))
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model.cfg = cfg
    return model.to(resolve_device(device)).eval()


@torch.no_grad()
def inference_sr(model: torch.nn.Module, img: np.ndarray) -> np.ndarray:
    """Super-resolve one image.

    Args:
        model: an ``SRModel`` from :func:`init_model`.
        img: ``ndarray(h, w, 3)`` uint8 RGB.

    Returns:
        ``ndarray(h*s, w*s, 3)`` uint8 RGB.
    """
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f'expected an (h, w, 3) uint8 RGB image, got {img.shape} {img.dtype}')
    inputs = image_to_tensor(img).div_(255.0)[None]
    inputs = inputs.to(model.data_preprocessor.device)
    return tensor_to_image(model.infer(inputs)[0])
