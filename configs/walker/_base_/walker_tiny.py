# The CPU-sized Walker model shared by the synthetic config and the tiny test configs (no data settings here).
model = dict(
    type='Walker',
    data_preprocessor=dict(
        type='mmdet.TrackDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=16,
        num_stages=2,
        strides=(1, 2),
        dilations=(1, 1),
        out_indices=(1, ),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'),
    track_head=dict(
        type='mmdet.QuasiDenseTrackHead',
        roi_extractor=dict(
            type='mmdet.SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=32,
            featmap_strides=[8]),
        embed_head=dict(
            type='mmdet.QuasiDenseEmbedHead',
            num_convs=2,
            num_fcs=1,
            roi_feat_size=7,
            in_channels=32,
            conv_out_channels=64,
            fc_out_channels=256,
            embed_channels=64,
            norm_cfg=dict(type='GN', num_groups=16),
            loss_track=dict(type='mmdet.MultiPosCrossEntropyLoss', loss_weight=0.25),
            loss_track_aux=None)),
    walk_loss=dict(type='WalkCycleLoss', temperature=0.1, exclusion_weight=1.0),
    tracker=dict(
        type='WalkerTracker', obj_score_thr=0.3, init_score_thr=0.5, match_score_thr=0.3, temperature=0.1,
        memo_momentum=0.5, motion_gate=0.5, motion_weight=2.0, num_frames_retain=30,
        iou_match_thr=0.3, num_tentatives=2),  # IoU stage for what the walk leaves; tentative until 2 frames
    train_cfg=dict(num_copies=2, jitter_std=0.05, max_boxes=64))
