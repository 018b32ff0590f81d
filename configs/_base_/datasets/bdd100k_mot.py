# BDD100K box tracking (8 evaluated classes), CocoVID json written by tools/dataset_converters/bdd2coco.py:
#   python tools/dataset_converters/bdd2coco.py -i data/bdd100k/labels/box_track_20/train \
#       -o data/bdd100k/annotations/box_track_train_cocofmt.json
#   python tools/dataset_converters/bdd2coco.py -i data/bdd100k/labels/box_track_20/val \
#       -o data/bdd100k/annotations/box_track_val_cocofmt.json
# BDD100K ships no public detections: trackers here need a detector.
dataset_type = 'mmdet.BaseVideoDataset'
data_root = 'data/bdd100k/'
classes = ('pedestrian', 'rider', 'car', 'truck', 'bus', 'train', 'motorcycle', 'bicycle')
img_scale = (1296, 720)
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
        ann_file='annotations/box_track_val_cocofmt.json',
        data_prefix=dict(img_path='images/track/val/'),
        metainfo=dict(classes=classes),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# mmdet 3.3 has no BDD100K MOT metric (TETA/mMOTA): dump predictions with tools/test.py --out and evaluate them
# with the official bdd100k toolkit; CocoVideoMetric gives the per-frame detection AP.
val_evaluator = dict(type='mmdet.CocoVideoMetric', metric=['bbox'])
test_evaluator = val_evaluator
