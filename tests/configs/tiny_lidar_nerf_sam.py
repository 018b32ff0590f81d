# The tiny synthetic NeRF + pseudo-label config for tools/train.py / tools/test.py tests: 4 iterations, NeRF branch
# from the first one, 50 % labelled. data_root is set by the test (--cfg-options).
_base_ = ['../../configs/lidar_nerf_sam/minkunet_tiny_nerf_sam_synthetic_10pct.py']
model = dict(nerf_start_iter=0, backbone=dict(num_stages=2, encoder_channels=[16, 32], encoder_blocks=[1, 1],
                                              decoder_channels=[32, 32], decoder_blocks=[1, 1]))
train_dataloader = dict(dataset=dict(labelled_ratio=0.5))
param_scheduler = [dict(type='CosineAnnealingLR', begin=0, T_max=4, by_epoch=False, eta_min=0)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=4)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=4))
randomness = dict(seed=0)
