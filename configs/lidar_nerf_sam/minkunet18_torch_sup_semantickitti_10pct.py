# Supervised-only MinkUNet-18 (w32, mmdet3d's widths) trained on 10 % of SemanticKITTI's training scans (LaserMix
# protocol: a uniform random subset), on the plain-torch sparse conv (any device).
# On CUDA: --cfg-options model.backbone.sparseconv_backend=spconv (mmdet3d's layers; same parameter shapes).
_base_ = [
    '../_base_/models/minkunet_torch.py', '../_base_/datasets/semantickitti_nerf.py',
    './_base_/semantickitti_15e.py'
]
labelled_ratio = 0.1
lidar_train_pipeline = [
    dict(type='mmdet3d.LoadPointsFromFile', coord_type='LIDAR', load_dim=4, use_dim=4),
    dict(type='mmdet3d.LoadAnnotations3D', with_bbox_3d=False, with_label_3d=False, with_seg_3d=True,
         seg_3d_dtype='np.int32', seg_offset=2**16, dataset_type='semantickitti'),
    dict(type='mmdet3d.PointSegClassMapping'),
    dict(type='mmdet3d.GlobalRotScaleTrans', rot_range=[0., 6.28318531], scale_ratio_range=[0.95, 1.05],
         translation_std=[0, 0, 0]),
    dict(type='mmdet3d.Pack3DDetInputs', keys=['points', 'pts_semantic_mask'])
]
train_dataloader = dict(
    dataset=dict(labelled_ratio=labelled_ratio, labelled_only=True, pipeline=lidar_train_pipeline,
                 ann_file='semantickitti_infos_train.pkl', modality=dict(use_lidar=True, use_camera=False)))
