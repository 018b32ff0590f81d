# Synthetic MOT sequences (panguvision.datasets.synthetic_mot): textured sprites that move, cross and occlude.
# Write them (and the CocoVID json + public detections) with:
#   python tools/dataset_converters/make_synthetic_mot.py data/synthetic_mot --num-seqs 8 --seed 0
#   python tools/dataset_converters/mot2coco.py -i data/synthetic_mot -o data/synthetic_mot/annotations --convert-det
#   python tools/dataset_converters/make_synthetic_mot.py data/synthetic_mot_heldout --num-seqs 4 --seed 1000
#   python tools/dataset_converters/mot2coco.py -i data/synthetic_mot_heldout \
#       -o data/synthetic_mot_heldout/annotations --convert-det
# Training reads data_root, validation/test the held-out sequences (other seed: other sprites and motions).
dataset_type = 'mmdet.MOTChallengeDataset'
data_root = 'data/synthetic_mot/'
test_root = 'data/synthetic_mot_heldout/'
img_scale = (320, 240)  # (w, h): the generator's default size, no resampling
backend_args = None

test_pipeline = [
    dict(
        type='mmdet.TransformBroadcaster',
        transforms=[
            dict(type='mmdet.LoadImageFromFile', backend_args=backend_args),
            dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
            dict(type='mmdet.LoadTrackAnnotations'),
            dict(type='LoadPublicDetections', det_file=test_root + 'annotations/train_detections.json'),
        ]),
    dict(type='PackMOTInputs')
]

val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='mmdet.TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=test_root,
        ann_file='annotations/train_cocoformat.json',
        data_prefix=dict(img_path='train'),
        metainfo=dict(classes=('pedestrian', )),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet.MOTChallengeMetric', metric=['HOTA', 'CLEAR', 'Identity'])
test_evaluator = val_evaluator
