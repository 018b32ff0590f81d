# Walker with a ResNet-50 + FPN embedding network (QDTrack's embedding head), for the real benchmarks. Defined as
# `walker_model` (not `model`) so a config can combine it with an mmdet detector base that defines `model`.
# The backbone starts from random weights here: point `walker_model.backbone.init_cfg` at a local ImageNet
# checkpoint (dict(type='Pretrained', checkpoint=PATH)) for real training; nothing is downloaded at run time.
walker_model = dict(
    type='Walker',
    data_preprocessor=dict(
        type='mmdet.TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch'),
    neck=dict(type='mmdet.FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=4),
    track_head=dict(
        type='mmdet.QuasiDenseTrackHead',
        roi_extractor=dict(
            type='mmdet.SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        embed_head=dict(
            type='mmdet.QuasiDenseEmbedHead',
            num_convs=4,
            num_fcs=1,
            embed_channels=256,
            norm_cfg=dict(type='GN', num_groups=32),
            loss_track=dict(type='mmdet.MultiPosCrossEntropyLoss', loss_weight=0.25),
            loss_track_aux=None)),
    walk_loss=dict(type='WalkCycleLoss', temperature=0.1, exclusion_weight=1.0),
    tracker=dict(
        type='WalkerTracker', obj_score_thr=0.3, init_score_thr=0.5, match_score_thr=0.3, temperature=0.1,
        memo_momentum=0.5, motion_gate=0.5, motion_weight=2.0, num_frames_retain=30),
    train_cfg=dict(num_copies=4, jitter_std=0.05, max_boxes=64))
