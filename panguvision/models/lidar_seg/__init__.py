"""LiDAR semantic segmentation: CPU/GPU sparse-voxel backbones, the NeRF head and SAM pseudo-labels."""
