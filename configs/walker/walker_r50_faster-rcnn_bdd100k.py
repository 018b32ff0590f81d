# Walker on BDD100K box tracking (8 classes) with its own detector (mmdet's Faster R-CNN R50-FPN), both trained
# on the sparsely annotated frames (`ann_ratio`): the detector on their boxes, the embeddings by walks on clips
# of them. Tracking ignores the class. Untrained recipe (SGD, 24k iterations): not yet run here.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py', '../_base_/datasets/bdd100k_mot.py', '../_base_/default_runtime.py',
    './_base_/walker_r50.py'
]

ann_ratio = 0.1
clip_len = 4
detector = _base_.model
detector.pop('data_preprocessor')
detector.roi_head.bbox_head.update(dict(num_classes=8))
detector['_scope_'] = 'mmdet'  # its nested parts are mmdet classes named without a scope
del _base_.model
model = _base_.walker_model
model['detector'] = detector
train_pipeline = [
    dict(type='SparseClipSample', num_frames=clip_len, ann_ratio=ann_ratio, max_stride=2),
    dict(
        type='mmdet.TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='mmdet.LoadImageFromFile'),
            dict(type='mmdet.LoadTrackAnnotations'),
            dict(type='mmdet.RandomResize', scale=(1296, 720), ratio_range=(0.8, 1.2), keep_ratio=True,
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
        type='mmdet.BaseVideoDataset',
        data_root='data/bdd100k/',
        visibility_thr=-1,
        ann_file='annotations/box_track_train_cocofmt.json',
        data_prefix=dict(img_path='images/track/train/'),
        metainfo=dict(classes={{_base_.classes}}),
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
