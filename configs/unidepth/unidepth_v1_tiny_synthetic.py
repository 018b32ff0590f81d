# A small UniDepth V1 (ViT 96 wide, 4 blocks, patch 8; decoder 64 wide) trained from scratch on the project's synthetic
# rooms (exact depth, random cameras) with two views per image: the CPU learning check of
# tools/misc/unidepth_learning_check.py. Evaluated zero-shot (predicted camera) on held-out rooms.
_base_ = ['../_base_/default_runtime.py']
model = dict(
    type='UniDepthV1',
    data_preprocessor=dict(
        type='DepthDataPreprocessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    backbone=dict(type='TimmViTEncoder', embed_dim=96, depth=4, num_heads=3, patch_size=8, img_size=64,
                  init_values=1e-5, out_indices=(0, 1, 2, 3)),
    decoder=dict(type='UniDepthV1Decoder', dim=64, num_heads=2, depths=(1, 1, 1), camera_depth=1, sh_degree=8,
                 expansion=2, depth_init=4.0),
    depth_loss=dict(type='SILogLoss', lambda_var=0.85, loss_weight=1.0),
    invariance_loss=dict(type='GeometricInvarianceLoss', loss_weight=0.1),
    camera_loss=dict(type='CameraRayLoss', loss_weight=0.25),
    train_cfg=dict(use_gt_camera=True),
    test_cfg=dict(image_shape=None, use_gt_intrinsics=False))
img_size = (72, 96)
train_pipeline = [
    dict(type='LoadDepthInputs', depth_scale=1000.0),
    dict(type='TwoViewDepthAug', num_views=2, transforms=[
        dict(type='DepthRandomResize', ratio_range=(1.0, 1.25)),
        dict(type='DepthRandomCrop', size=(64, 88)),
        dict(type='DepthRandomFlip', prob=0.5),
    ]),
    dict(type='PackDepthViews'),
]
test_pipeline = [dict(type='LoadDepthInputs', depth_scale=1000.0), dict(type='PackDepthInputs')]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='SyntheticDepthDataset', data_root='data/synthetic_depth/train', num_images=400,
                 img_size=img_size, seed=1, pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='SyntheticDepthDataset', data_root='data/synthetic_depth/test', num_images=50,
                 img_size=img_size, seed=2, test_mode=True, pipeline=test_pipeline))
test_evaluator = [dict(type='DepthMetric', min_depth=1e-3, max_depth=20.0)]
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=300, val_interval=100000)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=300, eta_min=1e-5),
]
default_hooks = dict(logger=dict(interval=50), checkpoint=dict(interval=300, max_keep_ckpts=1))
randomness = dict(seed=0)
