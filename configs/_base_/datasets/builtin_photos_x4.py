# Real photographs bundled with scikit-image (no download): a fixed train / val split, LR made on the fly with the
# MATLAB-compatible bicubic downscale. Used by the README's demo job and the tests.
scale = 4
train_pipeline = [
    dict(type='LoadSRImages'),
    dict(type='ModCrop'),
    dict(type='BicubicDegrade'),
    dict(type='PairedRandomCrop', lq_patch_size=32),
    dict(type='PairedFlip', prob=0.5, direction='horizontal'),
    dict(type='PairedRot90', prob=0.5),
    dict(type='PackSRInputs'),
]
test_pipeline = [
    dict(type='LoadSRImages'),
    dict(type='ModCrop'),
    dict(type='BicubicDegrade'),
    dict(type='PackSRInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='BuiltinPhotoDataset', split='train', scale=scale, cache_dir='data/builtin_photos',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='BuiltinPhotoDataset', split='val', scale=scale, cache_dir='data/builtin_photos',
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR', crop_border=scale), dict(type='SSIM', crop_border=scale)]
test_evaluator = val_evaluator
