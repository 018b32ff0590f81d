"""Datasets and data transforms; importing this package registers them in ``DATASETS`` / ``TRANSFORMS``."""
from . import transforms  # noqa: F401  (registers the transforms)
from .depth_dataset import DepthFolderDataset, KittiDepthDataset, load_intrinsics, read_kitti_intrinsics
from .sr_dataset import BUILTIN_PHOTO_SPLITS, IMG_EXTENSIONS, BuiltinPhotoDataset, PairedImageDataset

__all__ = ['BUILTIN_PHOTO_SPLITS', 'BuiltinPhotoDataset', 'IMG_EXTENSIONS', 'PairedImageDataset']
__all__ += ['DepthFolderDataset', 'KittiDepthDataset', 'load_intrinsics', 'read_kitti_intrinsics']
