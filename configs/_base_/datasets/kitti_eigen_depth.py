# KITTI Eigen split (BTS-style split files) for metric depth: PNG depth = metres * 256, evaluated up to 80 m with the
# Garg crop (ANCHORS: UniDepth protocol). Layout: data/kitti_depth/{raw/<date>/<drive>/image_02/..., gt_depth/...,
# splits/eigen_{train,test}_files_with_gt.txt}; intrinsics from raw <date>/calib_cam_to_cam.txt.
dataset_type = 'KittiDepthDataset'
data_root = 'data/kitti_depth/'
train_pipeline = [
    dict(type='LoadDepthInputs', depth_scale=256.0),
    dict(type='TwoViewDepthAug', num_views=2, transforms=[
        dict(type='DepthRandomResize', ratio_range=(1.0, 1.5)),
        dict(type='DepthRandomCrop', size=(350, 1204)),
        dict(type='DepthRandomFlip', prob=0.5),
    ]),
    dict(type='PackDepthViews'),
]
test_pipeline = [dict(type='LoadDepthInputs', depth_scale=256.0), dict(type='PackDepthInputs')]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='splits/eigen_train_files_with_gt.txt',
                 data_prefix=dict(img='raw/', depth='gt_depth/'), pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='splits/eigen_test_files_with_gt.txt',
                 data_prefix=dict(img='raw/', depth='gt_depth/'), test_mode=True, pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = [dict(type='DepthMetric', min_depth=1e-3, max_depth=80.0, crop='garg')]
val_evaluator = test_evaluator
