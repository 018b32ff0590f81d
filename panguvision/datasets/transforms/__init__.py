"""Data transforms; importing this package registers them in ``panguvision.registry.TRANSFORMS``."""
from .depth_transforms import (DepthCenterCrop, DepthRandomCrop, DepthRandomFlip, DepthResize, LoadDepthInputs,
                               PackDepthInputs, crop_intrinsics, flip_intrinsics, scale_intrinsics)
from .formatting import PackSRInputs, image_to_tensor
from .generation_transforms import LoadGenerationImage, PackGenerationInputs, ResizeCenterCrop
from .lidar_transforms import LoadLidarCameraImage
from .loading import LoadSRImages
from .masa_transforms import MASARandomAffine, PseudoVideoMixUp
from .mot_transforms import LoadPublicDetections, PackMOTInputs, SparseClipSample, annotated_frames
from .realesrgan_degradation import RandomHRCrop, RealESRGANDegradation
from .sr_transforms import BicubicDegrade, ModCrop, PairedFlip, PairedRandomCrop, PairedRot90
from .unidepth_transforms import DepthRandomResize, PackDepthViews, TwoViewDepthAug

__all__ = [
    'BicubicDegrade', 'LoadSRImages', 'ModCrop', 'PackSRInputs', 'PairedFlip', 'PairedRandomCrop', 'PairedRot90',
    'image_to_tensor'
]
__all__ += [
    'DepthCenterCrop', 'DepthRandomCrop', 'DepthRandomFlip', 'DepthResize', 'LoadDepthInputs', 'PackDepthInputs',
    'crop_intrinsics', 'flip_intrinsics', 'scale_intrinsics'
]
__all__ += ['LoadPublicDetections', 'PackMOTInputs', 'SparseClipSample', 'annotated_frames']
__all__ += ['RandomHRCrop', 'RealESRGANDegradation']
__all__ += ['MASARandomAffine', 'PseudoVideoMixUp']
__all__ += ['DepthRandomResize', 'PackDepthViews', 'TwoViewDepthAug']
__all__ += ['LoadGenerationImage', 'PackGenerationInputs', 'ResizeCenterCrop']
__all__ += ['LoadLidarCameraImage']
