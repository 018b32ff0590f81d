"""Single-image monocular metric depth inference (UniDepth)."""
from typing import Dict, Optional, Union

import numpy as np
import torch

from panguvision.datasets.transforms.formatting import image_to_tensor
from panguvision.utils.image_io import read_image

__all__ = ['inference_depth']


@torch.no_grad()
def inference_depth(model: torch.nn.Module, image: Union[str, np.ndarray],
                    intrinsics: Optional[Union[np.ndarray, list]] = None) -> Dict[str, np.ndarray]:
    """Metric depth, 3-D points and camera of one image.

    Args:
        model: a depth model from :func:`panguvision.apis.init_model` (e.g. ``UniDepthV1``) exposing
            ``infer(normalised_batch, intrinsics)``.
        image: ``(H, W, 3)`` uint8 RGB array or an image file path.
        intrinsics: optional known ``(3, 3)`` K of the image (pixels); when given the depth is conditioned on its rays
            and the points use it, otherwise the camera is predicted.

    Returns:
        ``depth`` ``(H, W)`` float32 metres; ``points`` ``(H, W, 3)`` float32 metres in the camera frame (x right,
        y down, z forward); ``intrinsics`` ``(3, 3)`` float64, the K used (given or predicted);
        ``pred_intrinsics`` ``(3, 3)`` float64, the model's own prediction.
    """
    if isinstance(image, str):
        image = read_image(image)
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'inference_depth: expected an (H, W, 3) uint8 RGB image, got '
                         f'{getattr(image, "shape", type(image))} {getattr(image, "dtype", "")}')
    K = None
    if intrinsics is not None:
        K = np.asarray(intrinsics, dtype=np.float64)
        if K.shape != (3, 3) or not np.all(np.isfinite(K)) or K[0, 0] <= 0 or K[1, 1] <= 0:
            raise ValueError(f'inference_depth: intrinsics must be a finite 3x3 pinhole K with fx, fy > 0, got {K}')
        K = torch.as_tensor(K, dtype=torch.float32)[None]
    data = model.data_preprocessor(dict(inputs=[image_to_tensor(image)]), False)
    inputs = data['inputs']
    out = model.infer(inputs, None if K is None else K.to(inputs.device))
    return dict(depth=out['depth'][0, 0].float().cpu().numpy(),
                points=out['points'][0].permute(1, 2, 0).float().cpu().numpy(),
                intrinsics=out['intrinsics'][0].double().cpu().numpy(),
                pred_intrinsics=out['pred_intrinsics'][0].double().cpu().numpy())
