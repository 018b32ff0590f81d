# Real-world x4 SR on the photographs bundled with scikit-image (no download): LQ made on the fly from HR crops with
# Real-ESRGAN's second-order degradation (published settings), every sample seeded (SeededSampleDataset), and a fixed
# held-out test set made by the same degradation of the 3 validation photographs with a fixed seed.
scale = 4
train_pipeline = [
    dict(type='LoadSRImages', keys=('gt', )),
    dict(type='RandomHRCrop', patch_size=128),  # HR 128x128 -> LQ 32x32
    dict(type='RealESRGANDegradation', scale=scale),
    dict(type='PackSRInputs'),
]
test_pipeline = [
    dict(type='LoadSRImages', keys=('gt', )),
    dict(type='ModCrop'),
    dict(type='RealESRGANDegradation', scale=scale),
    dict(type='PackSRInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='SeededSampleDataset',
        dataset=dict(type='BuiltinPhotoDataset', split='train', scale=scale, cache_dir='data/builtin_photos'),
        num_samples=100000,  # distinct (crop, degradation) draws; the sampler shuffles them
        seed=0,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SeededSampleDataset',
        dataset=dict(type='BuiltinPhotoDataset', split='val', scale=scale, cache_dir='data/builtin_photos',
                     test_mode=True),
        seed=2024,  # fixed degradations of the held-out photographs
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# NIQE uses the published pristine model from the basicsr package (or pass params_file=...).
val_evaluator = [
    dict(type='PSNR', crop_border=scale),
    dict(type='SSIM', crop_border=scale),
    dict(type='NIQE', crop_border=scale),
]
test_evaluator = val_evaluator
