"""LiDAR semantic segmentation: CPU/GPU sparse-voxel backbones, the NeRF head and SAM pseudo-labels."""
from .data_preprocessor import LidarSegDataPreprocessor
from .mask_consistency import mask_consistency_loss, mask_index_map
from .minkunet_backbone import PortableMinkUNetBackbone, SparseConvBNReLU, SparseResBlock
from .nerf_head import NeRFSemanticHead, trilinear_sparse
from .nerf_sam_segmentor import NeRFSAMMinkUNet
from .pseudo_label import (SamMaskGenerator, SuperpixelMaskGenerator, fuse_masks_with_semantics, split_groups_by_depth,
                           vote_groups, vote_masks_sparse)
from .rays import camera_rays, project_points, stratified_depths, visible_in_camera, volume_render_weights
from .torch_sparse_conv import SparseVoxelTensor, TorchSparseConv3d, hash_coords, lookup_coords, sparse_cat

__all__ = [
    'LidarSegDataPreprocessor', 'PortableMinkUNetBackbone', 'SparseConvBNReLU', 'SparseResBlock', 'NeRFSemanticHead',
    'trilinear_sparse', 'NeRFSAMMinkUNet', 'SamMaskGenerator', 'SuperpixelMaskGenerator',
    'fuse_masks_with_semantics', 'vote_masks_sparse', 'split_groups_by_depth', 'vote_groups',
    'camera_rays', 'project_points', 'stratified_depths',
    'volume_render_weights', 'visible_in_camera', 'mask_consistency_loss', 'mask_index_map',
    'SparseVoxelTensor', 'TorchSparseConv3d', 'hash_coords', 'lookup_coords', 'sparse_cat'
]
