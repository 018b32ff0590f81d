"""Helpers shared by the LiDAR segmentation tests: a rendered synthetic scene, a tiny ``NeRFSAMMinkUNet`` config
and a two-scan (labelled + unlabelled) input batch."""
import numpy as np
import torch
from mmdet3d.structures import Det3DDataSample, PointData

from panguvision.datasets.synthetic_lidar import render_scene, sample_scene

VOXEL = 0.25  # metres

# 2-stage MinkUNet of 8 / 16 channels, 5 classes (5 = ignore), 0.25 m voxels; no NeRF head, no mask generator and
# the unlabelled-scan losses off: a test switches on what it tests (copy it first: the dict is shared)
TINY_SEGMENTOR = dict(
    type='NeRFSAMMinkUNet',
    data_preprocessor=dict(
        type='LidarSegDataPreprocessor', voxel=True, voxel_type='minkunet', batch_first=True, max_voxels=None,
        voxel_layer=dict(max_num_points=-1, point_cloud_range=[-100, -100, -20, 100, 100, 20],
                         voxel_size=[VOXEL] * 3, max_voxels=(-1, -1))),
    backbone=dict(type='PortableMinkUNetBackbone', in_channels=4, base_channels=8, num_stages=2,
                  encoder_channels=[8, 16], encoder_blocks=[1, 1], decoder_channels=[16, 8], decoder_blocks=[1, 1]),
    decode_head=dict(type='mmdet3d.MinkUNetHead', channels=8, num_classes=5, dropout_ratio=0, ignore_index=5,
                     loss_decode=dict(type='mmdet.CrossEntropyLoss', avg_non_ignore=True)),
    nerf_head=None, mask_generator=None, nerf_start_iter=0, point_pseudo_label=None,
    train_cfg=dict(), test_cfg=dict())


def make_scene(seed: int = 3) -> dict:
    """One synthetic LiDAR + camera scene (32 beams x 512 azimuths), as ``render_scene`` returns it."""
    rng = np.random.default_rng(seed)
    return render_scene(sample_scene(rng), rng, num_beams=32, num_azimuths=512)


def two_scan_batch(scene: dict, shift_unlabelled_labels: int = 0) -> dict:
    """``scene`` twice, as a labelled scan (index 0) and an unlabelled one (index 1) in the segmentor's input format;
    the unlabelled copy's labels are shifted by ``shift_unlabelled_labels`` (mod 5): a loss that reads them changes."""
    pts = torch.as_tensor(scene['points'])
    cls = torch.as_tensor(scene['point_cls']).long()
    samples = []
    for labelled in (True, False):
        ds = Det3DDataSample(metainfo=dict(cam2img=scene['camera']['K'], lidar2cam=scene['camera']['lidar2cam'],
                                           is_labelled=labelled, img_path=f'scene_{labelled}'))
        ds.gt_pts_seg = PointData(pts_semantic_mask=cls.clone() if labelled else (cls + shift_unlabelled_labels) % 5)
        samples.append(ds)
    img = torch.as_tensor(scene['image']).permute(2, 0, 1).contiguous()
    return dict(inputs=dict(points=[pts, pts.clone()], img=[img, img.clone()]), data_samples=samples)
