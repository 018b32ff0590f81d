# A tiny random EAM trained on the built-in photographs with the Real-ESRGAN degradation (CPU-sized, minutes), tested
# by PSNR / SSIM / NIQE on the degraded held-out photographs (latent tiling covers their size). Not a benchmark.
_base_ = [
    '../_base_/models/eam_tiny.py', '../_base_/datasets/realesrgan_builtin_x4.py', '../_base_/default_runtime.py'
]
train_pipeline = [
    dict(type='LoadSRImages', keys=('gt', )),
    dict(type='RandomHRCrop', patch_size=64),  # HR 64 -> latent 32x32 (VAE factor 2) -> 16x16 tokens; LQ 16x16
    dict(type='RealESRGANDegradation', scale=4),
    dict(type='PackSRInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=1000, val_interval=100000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.0),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, T_max=1000, eta_min=5e-5)]
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=500, max_keep_ckpts=1))
