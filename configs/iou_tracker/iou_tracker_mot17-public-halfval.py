# IoU-only association of MOT17's public FRCNN detections on the half-val split.
_base_ = ['../_base_/datasets/mot17_halfval.py', '../_base_/default_runtime.py']

model = dict(
    type='PublicDetMOT',
    data_preprocessor=dict(
        type='mmdet.TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    tracker=dict(
        type='IoUTracker', obj_score_thr=0.3, init_score_thr=0.5, match_iou_thr=0.3, matching='hungarian',
        num_frames_retain=10))
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(visualization=dict(type='mmdet.TrackVisualizationHook', draw=False))
visualizer = dict(type='mmdet.TrackLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
