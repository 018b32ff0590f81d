# mmdet3d's MinkUNet-18 SemanticKITTI recipe (8 GPUs x 2 scans): SGD 0.24, linear warm-up, cosine over 15 epochs.
_base_ = ['../../_base_/default_runtime.py']
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.24, weight_decay=1e-4, momentum=0.9, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.008, by_epoch=False, begin=0, end=125),
    dict(type='CosineAnnealingLR', begin=0, T_max=15, by_epoch=True, eta_min=1e-5, convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=15, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=True, max_keep_ckpts=3),
    visualization=dict(type='mmdet3d.Det3DVisualizationHook', draw=False))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
visualizer = dict(type='mmdet3d.Det3DLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
auto_scale_lr = dict(enable=False, base_batch_size=16)
