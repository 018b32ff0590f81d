# nuScenes-lidarseg, 16 classes (infos: tools/create_data.py nuscenes-lidarseg --root-path data/nuscenes).
# Sweeps are float32 (x, y, z, intensity, ring); labels uint8 fine classes mapped by NuScenesLidarSegDataset.
dataset_type = 'NuScenesLidarSegDataset'
data_root = 'data/nuscenes/'
input_modality = dict(use_lidar=True, use_camera=False)
backend_args = None

load_points = dict(type='mmdet3d.LoadPointsFromFile', coord_type='LIDAR', load_dim=5, use_dim=4,
                   backend_args=backend_args)
load_labels = dict(type='mmdet3d.LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False, with_seg_3d=True,
                   seg_3d_dtype='np.uint8', backend_args=backend_args)
train_pipeline = [
    load_points, load_labels,
    dict(type='mmdet3d.PointSegClassMapping'),
    dict(type='mmdet3d.GlobalRotScaleTrans', rot_range=[-3.1415926, 3.1415926], scale_ratio_range=[0.95, 1.05],
         translation_std=[0.1, 0.1, 0.1]),
    dict(type='mmdet3d.RandomFlip3D', sync_2d=False, flip_ratio_bev_horizontal=0.5, flip_ratio_bev_vertical=0.5),
    dict(type='mmdet3d.Pack3DDetInputs', keys=['points', 'pts_semantic_mask'])
]
test_pipeline = [
    load_points, load_labels,
    dict(type='mmdet3d.PointSegClassMapping'),
    dict(type='mmdet3d.Pack3DDetInputs', keys=['points'])
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='nuscenes_lidarseg_infos_train.pkl',
                 data_prefix=dict(pts='', img='', pts_semantic_mask=''), pipeline=train_pipeline,
                 modality=input_modality, backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='nuscenes_lidarseg_infos_val.pkl',
                 data_prefix=dict(pts='', img='', pts_semantic_mask=''), pipeline=test_pipeline,
                 modality=input_modality, test_mode=True, backend_args=backend_args))
test_dataloader = val_dataloader
# the devkit's confusion matrix (ignore removed, NaN classes left out of the mean)
val_evaluator = dict(type='NuScenesLidarSegMetric')
test_evaluator = val_evaluator
