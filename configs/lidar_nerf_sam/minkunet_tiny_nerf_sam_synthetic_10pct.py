# Tiny MinkUNet + NeRF head on the synthetic LiDAR + camera scenes, 10 % of the training scans labelled (CPU). Image
# masks come from Felzenszwalb segments (no SAM weights offline; see README.md); batches mix labelled and unlabelled
# scans (labelled scans repeated).
_base_ = [
    '../_base_/models/minkunet_torch_tiny.py', '../_base_/datasets/synthetic_lidar.py',
    './_base_/synthetic_iters.py'
]
model = dict(nerf_start_iter=100)
train_dataloader = dict(batch_size=2, dataset=dict(labelled_ratio=0.1, balance_labelled=True))
