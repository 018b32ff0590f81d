"""Data transforms; importing this package registers them in ``panguvision.registry.TRANSFORMS``."""
from .depth_transforms import (DepthCenterCrop, DepthRandomCrop, DepthRandomFlip, DepthResize, LoadDepthInputs,
                               PackDepthInputs, crop_intrinsics, flip_intrinsics, scale_intrinsics)
from .formatting import PackSRInputs, image_to_tensor
from .loading import LoadSRImages
from .sr_transforms import BicubicDegrade, ModCrop, PairedFlip, PairedRandomCrop, PairedRot90

__all__ = [
    'BicubicDegrade', 'LoadSRImages', 'ModCrop', 'PackSRInputs', 'PairedFlip', 'PairedRandomCrop', 'PairedRot90',
    'image_to_tensor'
]
__all__ += [
    'DepthCenterCrop', 'DepthRandomCrop', 'DepthRandomFlip', 'DepthResize', 'LoadDepthInputs', 'PackDepthInputs',
    'crop_intrinsics', 'flip_intrinsics', 'scale_intrinsics'
]
