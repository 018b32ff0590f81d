# SemanticKITTI (19 classes, mmdet3d's label map) with the LiDAR scan and the left colour camera (image_2) for the
# NeRF + SAM semi-supervised recipe. Labelled split: `labelled_ratio` of the training scans (uniform, LaserMix
# protocol), the rest train through the camera branch only.
# The info files must carry images['CAM2'] = dict(img_path, cam2img, lidar2cam) per scan (mmdet3d's SemanticKITTI
# converter writes LiDAR-only infos; a camera-aware converter is a later step, see configs/lidar_nerf_sam/README.md).
dataset_type = 'LabelledSplitSemanticKittiDataset'
data_root = 'data/semantickitti/'
class_names = [
    'car', 'bicycle', 'motorcycle', 'truck', 'bus', 'person', 'bicyclist', 'motorcyclist', 'road', 'parking',
    'sidewalk', 'other-ground', 'building', 'fence', 'vegetation', 'trunck', 'terrian', 'pole', 'traffic-sign'
]
# SemanticKITTI raw id -> train id (19 = unlabelled), as in mmdet3d's configs/_base_/datasets/semantickitti.py.
labels_map = {
    0: 19, 1: 19, 10: 0, 11: 1, 13: 4, 15: 2, 16: 4, 18: 3, 20: 4, 30: 5, 31: 6, 32: 7, 40: 8, 44: 9, 48: 10, 49: 11,
    50: 12, 51: 13, 52: 19, 60: 8, 70: 14, 71: 15, 72: 16, 80: 17, 81: 18, 99: 19, 252: 0, 253: 6, 254: 5, 255: 7,
    256: 4, 257: 4, 258: 3, 259: 4
}
metainfo = dict(classes=class_names, seg_label_mapping=labels_map, max_label=259)
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
# No geometric point augmentation: the camera rays are cast in the LiDAR frame with the file's calibration.
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
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='semantickitti_cam_infos_train.pkl',
        pipeline=train_pipeline,
        metainfo=metainfo,
        modality=input_modality,
        ignore_index=19,
        labelled_ratio=labelled_ratio,
        split_seed=0))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='semantickitti_infos_val.pkl',
        pipeline=test_pipeline,
        metainfo=metainfo,
        modality=dict(use_lidar=True, use_camera=False),
        ignore_index=19,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = [dict(type='mmdet3d.SegMetric')]
test_evaluator = val_evaluator
