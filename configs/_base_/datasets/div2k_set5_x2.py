# DIV2K (800 training images, MATLAB-bicubic LR) for training; Set5 for validation and testing. x2.
# Layout: see data/README.md. Other test sets (Set14, B100, Urban100, Manga109) share the HR / LR_bicubic/X2 layout:
#   --cfg-options test_dataloader.dataset.data_root=data/Set14
scale = 2
train_pipeline = [
    dict(type='LoadSRImages'),
    dict(type='PairedRandomCrop', lq_patch_size=64),
    dict(type='PairedFlip', prob=0.5, direction='horizontal'),
    dict(type='PairedRot90', prob=0.5),
    dict(type='PackSRInputs'),
]
test_pipeline = [
    dict(type='LoadSRImages'),
    dict(type='ModCrop'),
    dict(type='BicubicDegrade'),  # only acts when the dataset has no LR folder
    dict(type='PackSRInputs'),
]
train_dataloader = dict(
    batch_size=16,  # x 4 devices = the paper's 64
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PairedImageDataset',
        data_root='data/DIV2K',
        data_prefix=dict(gt='DIV2K_train_HR', lq='DIV2K_train_LR_bicubic/X2'),
        filename_tmpl=dict(lq='{}x2'),
        scale=scale,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='PairedImageDataset',
        data_root='data/Set5',
        data_prefix=dict(gt='HR', lq='LR_bicubic/X2'),
        filename_tmpl=dict(lq='{}x2'),
        scale=scale,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR', crop_border=scale), dict(type='SSIM', crop_border=scale)]
test_evaluator = val_evaluator
