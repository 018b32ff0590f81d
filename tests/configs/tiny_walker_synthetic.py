# Walker for the train / test tool tests: clips of 3 annotated frames (half the frames annotated), one clip per
# batch, 2 iterations. Data roots are given with --cfg-options (the test writes tiny synthetic sequences).
_base_ = ['../../configs/walker/walker_r18-tiny_synthetic.py']
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=[
    dict(type='SparseClipSample', num_frames=3, ann_ratio=0.5, max_stride=1),
    dict(
        type='mmdet.TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='mmdet.LoadImageFromFile'),
            dict(type='mmdet.LoadTrackAnnotations'),
            dict(type='mmdet.Resize', scale=(128, 96), keep_ratio=True),
        ]),
    dict(type='PackMOTInputs')
]))
train_cfg = dict(max_iters=2, val_interval=100)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[1], gamma=0.5)]
