# Synthetic LiDAR + camera scenes in the SemanticKITTI layout (panguvision.datasets.synthetic_lidar; make them with
# `python tools/misc/lidar_nerf_learning_check.py --generate-only`). 5 classes (scene preset street5); for the 10-class
# street scenes (`--scenes street10`) set preset='street10' and ignore_index=10 in both datasets and num_classes=10 in
# the model. labelled_ratio picks the labelled scans.
dataset_type = 'SyntheticLidarDataset'
data_root = 'data/synthetic_lidar/'
input_modality = dict(use_lidar=True, use_camera=True)
labelled_ratio = 0.1
meta_keys = ('img_path', 'cam2img', 'lidar2cam', 'is_labelled', 'lidar_path', 'img_shape', 'ori_shape', 'sample_idx')
load_points = dict(type='mmdet3d.LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4)
load_labels = dict(
    type='mmdet3d.LoadAnnotations3D',
    with_bbox_3d=False,
    with_label_3d=False,
    with_seg_3d=True,
    seg_3d_dtype='np.int32',
    seg_offset=2**16,
    dataset_type='semantickitti')
# No geometric augmentation: the NeRF branch casts camera rays in the LiDAR frame with the file's calibration.
train_pipeline = [
    load_points, load_labels,
    dict(type='mmdet3d.PointSegClassMapping'),
    dict(type='LoadLidarCameraImage', camera='CAM2'),
    dict(type='mmdet3d.Pack3DDetInputs', keys=['points', 'pts_semantic_mask', 'img'], meta_keys=meta_keys)
]
test_pipeline = [
    load_points, load_labels,
    dict(type='mmdet3d.PointSegClassMapping'),
    dict(type='mmdet3d.Pack3DDetInputs', keys=['points', 'pts_semantic_mask'], meta_keys=meta_keys)
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='synthetic_infos_train.pkl',
        pipeline=train_pipeline,
        modality=input_modality,
        labelled_ratio=labelled_ratio,
        ignore_index=5))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='synthetic_infos_val.pkl',
        pipeline=test_pipeline,
        modality=input_modality,
        ignore_index=5,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='mmdet3d.SegMetric')]
test_evaluator = val_evaluator
