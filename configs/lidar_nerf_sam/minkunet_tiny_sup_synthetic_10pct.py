# Supervised-only tiny MinkUNet on the synthetic LiDAR scenes, 10 % of the training scans labelled (CPU).
_base_ = [
    '../_base_/models/minkunet_torch_tiny.py', '../_base_/datasets/synthetic_lidar.py',
    './_base_/synthetic_iters.py'
]
model = dict(nerf_head=None, mask_generator=None, point_pseudo_label=None, teacher=None)
train_dataloader = dict(batch_size=1, dataset=dict(labelled_ratio=0.1, labelled_only=True))
