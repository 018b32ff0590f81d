# Walker on DanceTrack with its own detector (mmdet's Faster R-CNN R50-FPN, one class), both trained on the sparsely
# annotated frames (`ann_ratio`): the detector on their boxes, the embeddings by walks on clips of them. DanceTrack
# has no public detections. Untrained recipe (SGD, 24k iterations): not yet run here.
_base_ = ['../_base_/datasets/dancetrack.py', './_base_/walker_r50_faster-rcnn.py', './_base_/walker_r50_schedule.py']

ann_ratio = 0.1
clip_len = 4
model = dict(detector=dict(roi_head=dict(bbox_head=dict(num_classes=1))))
train_pipeline = [
    dict(type='SparseClipSample', num_frames=clip_len, ann_ratio=ann_ratio, max_stride=2),
    dict(
        type='mmdet.TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='mmdet.LoadImageFromFile'),
            dict(type='mmdet.LoadTrackAnnotations'),
            dict(type='mmdet.RandomResize', scale=(1440, 800), ratio_range=(0.8, 1.2), keep_ratio=True,
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
        data_root='data/dancetrack/',
        visibility_thr=-1,
        ann_file='annotations/train_cocoformat.json',
        data_prefix=dict(img_path='train'),
        metainfo=dict(classes=('pedestrian', )),
        pipeline=train_pipeline))
