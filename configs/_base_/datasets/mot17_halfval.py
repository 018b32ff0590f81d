# MOT17 half-train / half-val (the split of QDTrack / ByteTrack / mmdet), with the FRCNN public detections.
# Prepare: python tools/dataset_converters/mot2coco.py -i data/MOT17 -o data/MOT17/annotations --split-train \
#              --convert-det --dedup
dataset_type = 'mmdet.MOTChallengeDataset'
data_root = 'data/MOT17/'
img_scale = (1088, 1088)
backend_args = None

test_pipeline = [
    dict(
        type='mmdet.TransformBroadcaster',
        transforms=[
            dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
            dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
            dict(type='mmdet.LoadTrackAnnotations'),
            dict(type='LoadPublicDetections', det_file=data_root + 'annotations/half-val_detections.json'),
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
        ann_file='annotations/half-val_cocoformat.json',
        data_prefix=dict(img_path='train'),
        metainfo=dict(classes=('pedestrian', )),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet.MOTChallengeMetric', metric=['HOTA', 'CLEAR', 'Identity'])
test_evaluator = val_evaluator
