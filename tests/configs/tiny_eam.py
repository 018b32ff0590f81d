# The tiny EAM for the train/test tool tests: 4 iterations on 64x64 HR crops of the built-in photographs (Real-ESRGAN
# degradation), tested with 2 sampling steps on 2 seeded 64x64 held-out crops.
_base_ = ['../../configs/eam/eam_tiny_x4_realesrgan_builtin.py']
model = dict(mask_cfg=dict(anneal_iters=4), test_cfg=dict(num_steps=2))
train_dataloader = dict(batch_size=2)
train_cfg = dict(max_iters=4)
test_pipeline = [
    dict(type='LoadSRImages', keys=('gt', )),
    dict(type='RandomHRCrop', patch_size=64),
    dict(type='RealESRGANDegradation', scale=4),
    dict(type='PackSRInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline, dataset=dict(indices=2)))
test_evaluator = [dict(type='PSNR', crop_border=4), dict(type='SSIM', crop_border=4)]
val_dataloader = None
val_cfg = None
val_evaluator = None
param_scheduler = [dict(type='ConstantLR', by_epoch=False, factor=1.0)]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=4, max_keep_ckpts=1))
randomness = dict(seed=0)
