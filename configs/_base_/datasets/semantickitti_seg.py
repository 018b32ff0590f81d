# SemanticKITTI point segmentation, 19 classes
# (infos: tools/create_data.py semantickitti --root-path data/semantickitti).
# Raw labels are uint32 (low 16 bits semantic, high 16 instance); the official learning map below folds the 34 raw
# classes into 19 training classes, with unlabelled/outlier/other-structure/other-object -> 19 (ignored).
dataset_type = 'mmdet3d.SemanticKittiDataset'
data_root = 'data/semantickitti/'
# The names are mmdet3d's SemanticKittiDataset.METAINFO spelling ('bus' is other-vehicle, 'trunck' trunk, 'terrian'
# terrain): mmdet3d refuses class names outside its METAINFO, and the indices are what matter.
class_names = ('car', 'bicycle', 'motorcycle', 'truck', 'bus', 'person', 'bicyclist', 'motorcyclist', 'road', 'parking',
               'sidewalk', 'other-ground', 'building', 'fence', 'vegetation', 'trunck', 'terrian', 'pole',
               'traffic-sign')
ignore_index = len(class_names)
# raw id -> training id; moving-* classes join their static class, bus/on-rails join other-vehicle, lane-marking road
labels_map = {
    0: 19, 1: 19, 10: 0, 11: 1, 13: 4, 15: 2, 16: 4, 18: 3, 20: 4, 30: 5, 31: 6, 32: 7, 40: 8, 44: 9, 48: 10, 49: 11,
    50: 12, 51: 13, 52: 19, 60: 8, 70: 14, 71: 15, 72: 16, 80: 17, 81: 18, 99: 19, 252: 0, 253: 6, 254: 5, 255: 7,
    256: 4, 257: 4, 258: 3, 259: 4
}
metainfo = dict(classes=class_names, seg_label_mapping=labels_map, max_label=259)
input_modality = dict(use_lidar=True, use_camera=False)
label_folder_prefix = ''  # infos already hold 'sequences/XX/labels/...' (or 'scribbles' for ScribbleKITTI)
backend_args = None

load_points = dict(type='mmdet3d.LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4,
                   backend_args=backend_args)
load_labels = dict(type='mmdet3d.LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False, with_seg_3d=True,
                   seg_3d_dtype='np.int32', seg_offset=2**16, dataset_type='semantickitti', backend_args=backend_args)
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
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='semantickitti_infos_train.pkl',
                 data_prefix=dict(pts='', img='', pts_semantic_mask=''), pipeline=train_pipeline, metainfo=metainfo,
                 modality=input_modality, ignore_index=ignore_index, backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='semantickitti_infos_val.pkl',
                 data_prefix=dict(pts='', img='', pts_semantic_mask=''), pipeline=test_pipeline, metainfo=metainfo,
                 modality=input_modality, ignore_index=ignore_index, test_mode=True, backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(type='mmdet3d.SegMetric')
test_evaluator = val_evaluator
