# UniDepth V1 (vitl14) evaluated zero-shot on kitti
# (camera predicted from the image: test_cfg.use_gt_intrinsics=False).
# The training part trains / fine-tunes on this dataset's train split with two geometrically augmented views; the paper
# trains on a mixture of many datasets that is not available here, so these optimiser settings are ours.
_base_ = [
    '../_base_/models/unidepth_v1_vitl14.py', '../_base_/datasets/kitti_eigen_depth.py',
    '../_base_/default_runtime.py'
]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=100000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1),
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}),
    clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=1000),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=1000, end=100000, eta_min=1e-6),
]
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=5000))
