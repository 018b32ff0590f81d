# Training the VQ-16 tokenizer on ImageNet 256 (LlamaGen recipe: AdamW lr 1e-4, betas (0.9, 0.95), batch 128,
# 40 epochs ~ 400k iterations of 4 x 32). Perceptual and GAN losses are off: set model.perceptual_loss to a loss you
# have weights for and model.discriminator=dict(type='PatchDiscriminator') with an optim_wrapper dict to use them.
_base_ = ['../_base_/models/igtr_vq16.py', '../_base_/default_runtime.py']
data_root = 'data/imagenet'
train_pipeline = [
    dict(type='LoadGenerationImage'),
    dict(type='ResizeCenterCrop', size=256),
    dict(type='mmcv.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackGenerationInputs', with_gt=True),
]
test_pipeline = [
    dict(type='LoadGenerationImage'),
    dict(type='ResizeCenterCrop', size=256),
    dict(type='PackGenerationInputs', with_gt=True),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='ClassImageFolderDataset', data_root=data_root, data_prefix=dict(img='train'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='ClassImageFolderDataset', data_root=data_root, data_prefix=dict(img='val'), test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PSNR', crop_border=0, test_y_channel=False),
                 dict(type='SSIM', crop_border=0, test_y_channel=False)]
test_evaluator = val_evaluator

train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=400000, val_interval=20000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.95), weight_decay=0.0),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=20000))
