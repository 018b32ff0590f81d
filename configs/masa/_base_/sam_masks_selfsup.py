# MASA's self-supervised training data: unlabelled images segmented by SAM
# (tools/dataset_converters/sam_automask_to_coco.py IMG_DIR data/sa1b/annotations/sam_masks.json --sam-checkpoint ...)
# served as two-view pseudo-videos, and MOT17 half-val (public FRCNN detections) for testing.
_base_ = ['../../_base_/datasets/mot17_halfval.py', '../../_base_/default_runtime.py']
data_root = 'data/sa1b/'
img_scale = (1024, 1024)  # (w, h), the paper's training size

view_transforms = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadTrackAnnotations'),
    dict(type='PseudoVideoMixUp', ratio=0.5),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.Pad', size=img_scale, pad_val=dict(img=(114, 114, 114))),
    # each view scaled by 0.1-2.0 and shifted independently (the views stay 1024 x 1024, so they stack)
    dict(type='MASARandomAffine', max_rotate_degree=0.0, max_shear_degree=0.0, max_translate_ratio=0.1,
         scaling_ratio_range=(0.1, 2.0), border_val=(114, 114, 114), min_bbox_size=4),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PhotoMetricDistortion'),
]
train_pipeline = [
    dict(type='mmdet.UniformRefFrameSample', num_ref_imgs=1, frame_range=0, filter_key_img=False),
    dict(type='mmdet.TransformBroadcaster', share_random_params=False, transforms=view_transforms),
    dict(type='mmdet.PackTrackInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='MASAPseudoVideoDataset', data_root=data_root, ann_file='annotations/sam_masks.json',
        data_prefix=dict(img='images/'), min_instances=1, max_instances=200, mixup_prob=0.5,
        pipeline=train_pipeline))
# SA-1B 500k images, 12 epochs, SGD lr 0.08 on 8 GPUs x 2 images (the paper): 3M iterations of batch 16.
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.08, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, milestones=[250000, 343750], gamma=0.1),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=375000)
auto_scale_lr = dict(enable=False, base_batch_size=16)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=25000),
    visualization=dict(type='mmdet.TrackVisualizationHook', draw=False))
visualizer = dict(type='mmdet.TrackLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
