# Walker on the synthetic MOT sequences (CPU-sized): a slim ResNet-18 stem (16 base channels, stride 8), RoI
# embeddings of 64 dims, trained from clips of 4 annotated frames with 10 % of the frames annotated and no identity
# labels; tested on the held-out sequences with their public detections (det.txt), like the IoU baseline.
#   python tools/train.py configs/walker/walker_r18-tiny_synthetic.py
#   python tools/test.py configs/walker/walker_r18-tiny_synthetic.py work_dirs/walker_r18-tiny_synthetic/iter_300.pth
_base_ = ['../_base_/datasets/synthetic_mot.py', '../_base_/default_runtime.py', './_base_/walker_tiny.py']

ann_ratio = 0.1  # fraction of the frames of every video that carry boxes
clip_len = 4  # T frames per training clip (annotated frames, in temporal order)

train_pipeline = [
    dict(type='SparseClipSample', num_frames=clip_len, ann_ratio=ann_ratio, max_stride=1),
    dict(
        type='mmdet.TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='mmdet.LoadImageFromFile', backend_args={{_base_.backend_args}}),
            dict(type='mmdet.LoadTrackAnnotations'),
            dict(type='mmdet.Resize', scale={{_base_.img_scale}}, keep_ratio=True),
            dict(type='mmdet.RandomFlip', prob=0.5),
        ]),
    dict(type='PackMOTInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        visibility_thr=0.3,  # sprites hidden more than that are not annotated
        ann_file='annotations/train_cocoformat.json',
        data_prefix=dict(img_path='train'),
        metainfo=dict(classes=('pedestrian', )),
        pipeline=train_pipeline))

max_iters = 300
train_cfg = dict(type='ResumableIterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters + 1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4),
                     clip_grad=dict(max_norm=10.0))
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[int(max_iters * 0.7)], gamma=0.1)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=max_iters, by_epoch=False, max_keep_ckpts=1, save_last=True),
    visualization=dict(type='mmdet.TrackVisualizationHook', draw=False))
visualizer = dict(type='mmdet.TrackLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
