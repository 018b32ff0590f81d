# The tiny VQ tokenizer trained on the synthetic shapes (800 iterations of batch 16, l2 reconstruction loss; about
# two minutes on one CPU thread). Held-out evaluation: PSNR / SSIM of the reconstructions.
_base_ = ['../_base_/models/igtr_vq_tiny.py', '../_base_/datasets/synthetic_shapes.py', '../_base_/default_runtime.py']
train_dataloader = dict(batch_size=16)
val_evaluator = [dict(type='PSNR', crop_border=0, test_y_channel=False),
                 dict(type='SSIM', crop_border=0, test_y_channel=False)]
test_evaluator = val_evaluator
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=800, val_interval=100000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=3e-3, betas=(0.9, 0.95), weight_decay=0.0),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, T_max=800, eta_min=3e-4)]
default_hooks = dict(logger=dict(interval=100), checkpoint=dict(interval=100000))
randomness = dict(seed=0)
