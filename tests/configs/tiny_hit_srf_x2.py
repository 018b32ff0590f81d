# A tiny HiT-SRF x2 (one group of two blocks, windows 4 and 8, drop path on so that training consumes torch's RNG)
# trained on the built-in photographs with the real pipeline (random crops, flips, rotations). For the tests of
# train / resume / distributed training.
_base_ = ['../../configs/_base_/schedules/sr_iter500k.py', '../../configs/_base_/default_runtime.py']
scale = 2
model = dict(
    type='SRModel',
    generator=dict(
        type='HiTSRF', upscale=scale, embed_dim=10, depths=[2], num_heads=[1], hier_win_ratios=[0.5, 1],
        drop_path_rate=0.2),
    pixel_loss=dict(type='mmdet.L1Loss', loss_weight=1.0))
train_pipeline = [
    dict(type='LoadSRImages'),
    dict(type='ModCrop'),
    dict(type='BicubicDegrade'),
    dict(type='PairedRandomCrop', lq_patch_size=12),
    dict(type='PairedFlip', prob=0.5, direction='horizontal'),
    dict(type='PairedRot90', prob=0.5),
    dict(type='PackSRInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='BuiltinPhotoDataset', split='train', scale=scale, cache_dir='data/builtin_photos',
                 pipeline=train_pipeline))
train_cfg = dict(max_iters=6, val_interval=1000)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='BuiltinPhotoDataset', split='val', scale=scale, cache_dir='data/builtin_photos', test_mode=True,
                 pipeline=[dict(type='LoadSRImages'), dict(type='ModCrop'), dict(type='BicubicDegrade'),
                           dict(type='PackSRInputs')]))
test_evaluator = [dict(type='PSNR', crop_border=scale), dict(type='SSIM', crop_border=scale)]
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[3], gamma=0.5)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=3, max_keep_ckpts=5))
randomness = dict(seed=123)
