# MASA self-supervised training on unlabelled frames of the synthetic MOT sequences (panguvision.datasets.
# make_synthetic_mot; boxes from the per-frame gt WITHOUT identities stand in for SAM masks), and tracking of the
# held-out synthetic sequences with their public detections (det/det.txt): data preparation in
# configs/_base_/datasets/synthetic_mot.py. Training reads only the images and the boxes of
# data/synthetic_mot/annotations/train_cocoformat.json, never its instance ids.
_base_ = ['../../_base_/datasets/synthetic_mot.py', '../../_base_/default_runtime.py']
data_root = 'data/synthetic_mot/'
img_scale = (320, 240)  # (w, h)

view_transforms = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadTrackAnnotations'),
    dict(type='PseudoVideoMixUp', ratio=0.5),
    # scale, shift (and optionally rotate / shear) each view; both keep the image size, so the views stack
    dict(type='MASARandomAffine', max_rotate_degree=0.0, max_shear_degree=0.0, max_translate_ratio=0.1,
         scaling_ratio_range=(0.5, 1.5), border_val=(114, 114, 114), min_bbox_size=4),
    dict(type='mmdet.Resize', scale=img_scale, keep_ratio=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PhotoMetricDistortion'),
]
train_pipeline = [
    # a one-frame "video": the key and the reference frame are the same image ...
    dict(type='mmdet.UniformRefFrameSample', num_ref_imgs=1, frame_range=0, filter_key_img=False),
    # ... augmented independently (share_random_params=False): the two views are MASA's positive pair
    dict(type='mmdet.TransformBroadcaster', share_random_params=False, transforms=view_transforms),
    dict(type='mmdet.PackTrackInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='MASAPseudoVideoDataset', data_root=data_root, ann_file='annotations/train_cocoformat.json',
        data_prefix=dict(img='train/'), min_instances=1, mixup_prob=0.3, pipeline=train_pipeline))
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, milestones=[1500], gamma=0.1),
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2000)
# no validation during training (mmengine would run it after the last iteration): track with tools/test.py
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=500),
    visualization=dict(type='mmdet.TrackVisualizationHook', draw=False))
visualizer = dict(type='mmdet.TrackLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
