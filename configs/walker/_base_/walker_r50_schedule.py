# The schedule and runtime of the full-size Walker configs: SGD, 24k iterations of batch 2 clips, at QDTrack's scale.
# Untuned: not yet run here. Includes the project's default runtime, whose hooks and visualiser it adapts to MOT.
_base_ = ['../../_base_/default_runtime.py']

train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=24000, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
                     clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, milestones=[16000], gamma=0.1)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=4000, by_epoch=False, max_keep_ckpts=2, save_last=True),
    visualization=dict(type='mmdet.TrackVisualizationHook', draw=False))
visualizer = dict(type='mmdet.TrackLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
