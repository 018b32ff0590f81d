# HiT-SRF x4 (the full released architecture) trained from scratch for real-world SR on the built-in photographs with
# the Real-ESRGAN degradation, evaluated by PSNR / SSIM / NIQE on the degraded held-out photographs. A CPU-sized run
# (minutes), not a benchmark: see README.md.
_base_ = [
    '../_base_/models/hit_srf.py', '../_base_/datasets/realesrgan_builtin_x4.py', '../_base_/schedules/sr_iter500k.py',
    '../_base_/default_runtime.py'
]
train_cfg = dict(max_iters=300, val_interval=100000)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[200, 260], gamma=0.5)]
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=100, max_keep_ckpts=1))
