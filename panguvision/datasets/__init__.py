"""Datasets and data transforms; importing this package registers them in ``DATASETS`` / ``TRANSFORMS``."""
from . import transforms  # noqa: F401  (registers the transforms)
from .depth_dataset import DepthFolderDataset, KittiDepthDataset, load_intrinsics, read_kitti_intrinsics
from .hr_only_dataset import HRImageFolderDataset, SeededSampleDataset
from .masa_dataset import MASAPseudoVideoDataset
from .nuscenes_lidarseg_dataset import NuScenesLidarSegDataset
from .sr_dataset import BUILTIN_PHOTO_SPLITS, IMG_EXTENSIONS, BuiltinPhotoDataset, PairedImageDataset
from .synthetic_depth import SyntheticDepthDataset, render_depth_scene, write_synthetic_depth
from .synthetic_lidar import LabelledSplitSemanticKittiDataset, SyntheticLidarDataset, write_synthetic_lidar
from .synthetic_mot import make_synthetic_mot
from .synthetic_shapes import ClassImageFolderDataset, SyntheticShapesDataset

__all__ = ['BUILTIN_PHOTO_SPLITS', 'BuiltinPhotoDataset', 'IMG_EXTENSIONS', 'PairedImageDataset']
__all__ += ['DepthFolderDataset', 'KittiDepthDataset', 'load_intrinsics', 'read_kitti_intrinsics']
__all__ += ['make_synthetic_mot']
__all__ += ['HRImageFolderDataset', 'SeededSampleDataset']
__all__ += ['MASAPseudoVideoDataset']
__all__ += ['SyntheticDepthDataset', 'render_depth_scene', 'write_synthetic_depth']
__all__ += ['ClassImageFolderDataset', 'SyntheticShapesDataset']
__all__ += ['NuScenesLidarSegDataset']
__all__ += ['LabelledSplitSemanticKittiDataset', 'SyntheticLidarDataset', 'write_synthetic_lidar']
