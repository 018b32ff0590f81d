# The real-world SR recipe of EAM / DSPO / OSEDiff: HR images of LSDIR + the first 10k of FFHQ, LQ made on the fly by
# Real-ESRGAN's second-order degradation (512x512 HR crops -> 128x128 LQ), tested on RealSR (both cameras).
# Other test sets: --cfg-options test_dataloader.dataset.layout=drealsr test_dataloader.dataset.data_root=data/DRealSR
# (or layout=div2k_val_crops, data_root=data/DIV2K_V2_val). Layouts: data/README.md, PairedImageDataset.
scale = 4
train_pipeline = [
    dict(type='LoadSRImages', keys=('gt', )),
    dict(type='RandomHRCrop', patch_size=512),
    dict(type='RealESRGANDegradation', scale=scale),
    dict(type='PackSRInputs'),
]
test_pipeline = [dict(type='LoadSRImages'), dict(type='PackSRInputs')]
train_dataloader = dict(
    batch_size=4,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='SeededSampleDataset',
        dataset=dict(
            type='ConcatDataset',
            datasets=[
                dict(type='HRImageFolderDataset', data_root='data/LSDIR', data_prefix=dict(gt='train'), scale=scale),
                dict(type='HRImageFolderDataset', data_root='data/FFHQ', data_prefix=dict(gt='images1024x1024'),
                     max_images=10000, scale=scale),
            ]),
        num_samples=10000000,
        seed=0,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='PairedImageDataset', data_root='data/RealSR(V3)', layout='realsr', scale=scale,
                 test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='PSNR', crop_border=0),
    dict(type='SSIM', crop_border=0),
    dict(type='NIQE', crop_border=0),
]
test_evaluator = val_evaluator
