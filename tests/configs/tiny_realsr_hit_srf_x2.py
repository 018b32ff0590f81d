# A tiny HiT-SRF x2 trained with the Real-ESRGAN degradation on the built-in photographs (seeded on-the-fly LQ) and
# tested by PSNR / SSIM / NIQE on seeded degraded crops of the held-out photographs. For tests/tools: the test passes
# train_dataloader.dataset.dataset.cache_dir, test_dataloader.dataset.dataset.cache_dir and the NIQE params_file.
_base_ = ['../../configs/_base_/schedules/sr_iter500k.py', '../../configs/_base_/default_runtime.py']
scale = 2
model = dict(
    type='SRModel',
    generator=dict(type='HiTSRF', upscale=scale, embed_dim=10, depths=[2], num_heads=[1], hier_win_ratios=[0.5, 1]),
    pixel_loss=dict(type='mmdet.L1Loss', loss_weight=1.0))
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='SeededSampleDataset',
        dataset=dict(type='BuiltinPhotoDataset', split='train', scale=scale, cache_dir='data/builtin_photos'),
        num_samples=1000,
        seed=0,
        pipeline=[
            dict(type='LoadSRImages', keys=('gt', )),
            dict(type='RandomHRCrop', patch_size=48),
            dict(type='RealESRGANDegradation', scale=scale),
            dict(type='PackSRInputs'),
        ]))
train_cfg = dict(max_iters=3, val_interval=1000)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SeededSampleDataset',
        dataset=dict(type='BuiltinPhotoDataset', split='val', scale=scale, cache_dir='data/builtin_photos',
                     test_mode=True),
        seed=1,
        test_mode=True,
        pipeline=[
            dict(type='LoadSRImages', keys=('gt', )),
            dict(type='RandomHRCrop', patch_size=224, hflip_prob=0, transpose_prob=0),  # 2x2 NIQE blocks
            dict(type='RealESRGANDegradation', scale=scale),
            dict(type='PackSRInputs'),
        ]))
test_evaluator = [
    dict(type='PSNR', crop_border=scale),
    dict(type='SSIM', crop_border=scale),
    dict(type='NIQE', crop_border=scale, params_file=None),
]
test_cfg = dict(type='TestLoop')
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=3, max_keep_ckpts=1))
randomness = dict(seed=123)
