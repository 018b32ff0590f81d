# Walker on MOT17 half-train -> half-val, tracking the public FRCNN detections (no detector). Trained from clips of
# 4 annotated frames with `ann_ratio` of the frames annotated (boxes, no identities). Not yet trained here: the
# recipe (SGD, 24k iterations, batch 2 clips) follows QDTrack's scale and is untuned.
_base_ = ['../_base_/datasets/mot17_halfval.py', './_base_/walker_r50.py', './_base_/walker_r50_schedule.py']

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
