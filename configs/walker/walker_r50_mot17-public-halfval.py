# Walker on MOT17 half-train -> half-val, tracking the public FRCNN detections (no detector). Trained from clips of
# 4 annotated frames with `ann_ratio` of the frames annotated (boxes, no identities). Not yet trained here: the
# recipe (SGD, 24k iterations, batch 2 clips) follows QDTrack's scale and is untuned.
_base_ = ['../_base_/datasets/mot17_halfval.py', '../_base_/default_runtime.py', './_base_/walker_r50.py']

ann_ratio = 0.1
clip_len = 4
model = _base_.walker_model
train_pipeline = [
    dict(type='SparseClipSample', num_frames=clip_len, ann_ratio=ann_ratio, max_stride=2),
    dict(
        type='mmdet.TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='mmdet.LoadImageFromFile'),
            dict(type='mmdet.LoadTrackAnnotations'),
            dict(type='mmdet.RandomResize', scale=(1088, 1088), ratio_range=(0.8, 1.2), keep_ratio=True,
                 clip_object_border=False),
            dict(type='mmdet.PhotoMetricDistortion'),
            dict(type='mmdet.RandomFlip', prob=0.5),
        ]),
    dict(type='PackMOTInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type='mmdet.MOTChallengeDataset',
        data_root='data/MOT17/',
        visibility_thr=-1,
        ann_file='annotations/half-train_cocoformat.json',
        data_prefix=dict(img_path='train'),
        metainfo=dict(classes=('pedestrian', )),
        pipeline=train_pipeline))
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
