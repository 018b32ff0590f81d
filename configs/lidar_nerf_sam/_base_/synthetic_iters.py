# CPU schedule for the synthetic scenes: AdamW, cosine decay, iteration based.
_base_ = ['../../_base_/default_runtime.py']
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=0.01, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', begin=0, T_max=300, by_epoch=False, eta_min=0)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=300)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=300, by_epoch=False, max_keep_ckpts=1),
    visualization=dict(type='mmdet3d.Det3DVisualizationHook', draw=False))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
visualizer = dict(type='mmdet3d.Det3DLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
