# NYUv2 (654 Eigen test images, 480x640) exported as folders: data/nyu/{train,test}/{rgb,depth}/<stem>.png, depth in
# millimetres; the official colour-camera K. Evaluated up to 10 m with the Eigen crop (ANCHORS: UniDepth protocol).
dataset_type = 'DepthFolderDataset'
nyu_intrinsics = [[518.8579, 0.0, 325.58246], [0.0, 519.4696, 253.73616], [0.0, 0.0, 1.0]]
train_pipeline = [
    dict(type='LoadDepthInputs', depth_scale=1000.0),
    dict(type='TwoViewDepthAug', num_views=2, transforms=[
        dict(type='DepthRandomResize', ratio_range=(1.0, 1.3)),
        dict(type='DepthRandomCrop', size=(448, 616)),
        dict(type='DepthRandomFlip', prob=0.5),
    ]),
    dict(type='PackDepthViews'),
]
test_pipeline = [dict(type='LoadDepthInputs', depth_scale=1000.0), dict(type='PackDepthInputs')]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root='data/nyu/train', depth_scale=1000.0, intrinsics=nyu_intrinsics,
                 pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root='data/nyu/test', depth_scale=1000.0, intrinsics=nyu_intrinsics,
                 test_mode=True, pipeline=test_pipeline))
val_dataloader = test_dataloader
test_evaluator = [dict(type='DepthMetric', min_depth=1e-3, max_depth=10.0, crop='nyu_eigen')]
val_evaluator = test_evaluator
