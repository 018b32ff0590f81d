# DanceTrack (train / val). mot2coco.py converts `train/` and `val/` (and `test/`) in one call:
#   python tools/dataset_converters/mot2coco.py -i data/dancetrack -o data/dancetrack/annotations
# and the val ground truth for eval_mot.py is DanceTrack's own `val/<seq>/gt/gt.txt` (--gt-root data/dancetrack/val).
# DanceTrack ships no public detections: trackers here need a detector (or SAM / external boxes converted to the
# detections json).
dataset_type = 'mmdet.MOTChallengeDataset'
data_root = 'data/dancetrack/'
img_scale = (1440, 800)
backend_args = None

test_pipeline = [
    dict(
        type='mmdet.TransformBroadcaster',
        transforms=[
            dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
            dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
            dict(type='mmdet.LoadTrackAnnotations'),
        ]),
    dict(type='PackMOTInputs')
]

val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val_cocoformat.json',
        data_prefix=dict(img_path='val'),
        metainfo=dict(classes=('pedestrian', )),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet.MOTChallengeMetric', metric=['HOTA', 'CLEAR', 'Identity'], benchmark='DanceTrack')
test_evaluator = val_evaluator
