# The README's demo job: HiT-SRF x4 (the full released architecture) trained from scratch for a few hundred
# iterations on scikit-image's bundled photographs, on CPU in a few minutes. Not a benchmark: see README.md.
_base_ = [
    '../_base_/models/hit_srf.py', '../_base_/datasets/builtin_photos_x4.py', '../_base_/schedules/sr_iter500k.py',
    '../_base_/default_runtime.py'
]
train_cfg = dict(max_iters=300, val_interval=100000)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[200, 260], gamma=0.5)]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=100, max_keep_ckpts=1))
