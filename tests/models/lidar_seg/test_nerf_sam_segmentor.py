"""The semi-supervised segmentor: mmdet3d's MinkUNet interface, labelled / unlabelled losses, LiDAR-only predict."""
import copy

import numpy as np
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from panguvision.registry import MODELS

TINY = dict(
    type='NeRFSAMMinkUNet',
    data_preprocessor=dict(
        type='LidarSegDataPreprocessor', voxel=True, voxel_type='minkunet', batch_first=True, max_voxels=None,
        voxel_layer=dict(max_num_points=-1, point_cloud_range=[-100, -100, -20, 100, 100, 20],
                         voxel_size=[0.5, 0.5, 0.5], max_voxels=(-1, -1))),
    backbone=dict(type='PortableMinkUNetBackbone', in_channels=4, base_channels=8, num_stages=2,
                  encoder_channels=[8, 16], encoder_blocks=[1, 1], decoder_channels=[16, 8], decoder_blocks=[1, 1]),
    decode_head=dict(type='mmdet3d.MinkUNetHead', channels=8, num_classes=4, dropout_ratio=0, ignore_index=4,
                     loss_decode=dict(type='mmdet.CrossEntropyLoss', avg_non_ignore=True)),
    nerf_head=dict(type='NeRFSemanticHead', in_channels=8, num_classes=4, hidden_channels=16, num_samples=16,
                   near=1.0, far=30.0, density_bias=3.0),
    mask_generator=dict(type='SamMaskGenerator', tiny_random=True, points_per_side=4, pred_iou_thresh=0.0,
                        stability_score_thresh=0.0),
    pseudo_label=dict(mode='confidence', threshold=0.0, min_opacity=0.0),
    ray_stride=4,
    train_cfg=dict(),
    test_cfg=dict())


@pytest.fixture(scope='module')
def model():
    init_default_scope('panguvision')
    torch.manual_seed(0)
    return MODELS.build(copy.deepcopy(TINY))


def _batch(model, seed=0, size=(32, 64)):
    return model.benchmark_batch(2, size, torch.Generator().manual_seed(seed))  # scan 0 labelled, scan 1 not


def test_voxelisation_matches_mmdet3d_arithmetic(model):
    batch = _batch(model)
    data = model.data_preprocessor(copy.deepcopy(batch), training=True)
    points, samples = batch['inputs']['points'], data['data_samples']
    coors = data['inputs']['voxels']['coors']
    for i, (pts, ds) in enumerate(zip(points, samples)):
        idx = torch.round(pts[:, :3] / 0.5).int()
        ref = torch.unique(idx - idx.min(0).values, dim=0)
        mine = coors[coors[:, 0] == i, 1:]
        assert torch.equal(torch.unique(mine, dim=0), ref) and len(mine) == len(ref)
        # every point maps to the voxel containing it; the voxel origin puts voxel centres back in metres
        centre = torch.as_tensor(ds.metainfo['voxel_origin']) + mine[ds.point2voxel_map].float() * 0.5
        assert (centre - pts[:, :3]).abs().max() <= 0.25 + 1e-5
        torch.testing.assert_close(ds.gt_pts_seg.voxel_semantic_mask, batch['data_samples'][i].gt_pts_seg
                                   .pts_semantic_mask[torch.as_tensor(np.unique(
                                       model.data_preprocessor.ravel_hash(
                                           (idx - idx.min(0).values).numpy()), return_index=True)[1])])


def test_train_step_uses_labels_of_labelled_scans_only_and_trains_the_nerf_branch(model):
    model.train()
    optim = build_optim_wrapper(model, dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.0)))
    batch = _batch(model)
    losses = model.train_step(copy.deepcopy(batch), optim)
    assert {'loss_sem_seg', 'loss_nerf_sem', 'loss_nerf_depth'} <= set(losses)
    assert all(np.isfinite(float(v.detach())) for v in losses.values())
    # changing the unlabelled scan's labels changes nothing; changing the labelled scan's changes the CE
    other = copy.deepcopy(batch)
    other['data_samples'][1].gt_pts_seg.pts_semantic_mask = (other['data_samples'][1].gt_pts_seg.pts_semantic_mask +
                                                             1) % 4
    torch.testing.assert_close(model.train_step(other, optim)['loss_sem_seg'], losses['loss_sem_seg'])
    other['data_samples'][0].gt_pts_seg.pts_semantic_mask = (other['data_samples'][0].gt_pts_seg.pts_semantic_mask +
                                                             1) % 4
    changed = model.train_step(other, optim)['loss_sem_seg']
    assert abs(float(changed.detach()) - float(losses['loss_sem_seg'].detach())) > 1e-4
    # the NeRF losses reach the backbone
    model.zero_grad()
    data = model.data_preprocessor(copy.deepcopy(batch), training=True)
    nerf = model.loss(data['inputs'], data['data_samples'])
    (nerf['loss_nerf_sem'] + nerf['loss_nerf_depth']).backward()
    assert model.backbone.conv_input[0].conv.weight.grad.abs().sum() > 0
    assert model.nerf_head.density.weight.grad.abs().sum() > 0


def test_optional_lovasz_loss_on_labelled_scans():
    cfg = copy.deepcopy(TINY)
    cfg.update(nerf_head=None, loss_lovasz=dict(type='mmdet3d.LovaszLoss', loss_type='multi_class', reduction='none'))
    init_default_scope('panguvision')
    model = MODELS.build(cfg).train()
    data = model.data_preprocessor(_batch(model), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_sem_seg', 'loss_lovasz'} and 0 < float(losses['loss_lovasz']) <= 1
    losses['loss_lovasz'].backward()
    assert model.decode_head.conv_seg.weight.grad.abs().sum() > 0


def test_predict_is_lidar_only_and_per_point(model):
    model.eval()
    batch = _batch(model, seed=1)
    calls = []
    hook = model.nerf_head.register_forward_hook(lambda *a: calls.append(1))
    out = model.test_step(batch)
    hook.remove()
    assert not calls
    for ds, pts in zip(out, batch['inputs']['points']):
        pred = ds.pred_pts_seg.pts_semantic_mask
        assert pred.shape == (len(pts),) and int(pred.max()) < 4
    # without an image the same prediction comes out
    no_img = _batch(model, seed=1)
    del no_img['inputs']['img']
    out2 = model.test_step(no_img)
    assert torch.equal(out[0].pred_pts_seg.pts_semantic_mask, out2[0].pred_pts_seg.pts_semantic_mask)


def test_lidar_depth_grid_takes_the_nearest_point(model):
    k = torch.tensor([[10., 0, 8], [0, 10., 8], [0, 0, 1]])
    t = torch.tensor([[0., -1, 0, 0], [0, 0, -1, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
    pts = torch.tensor([[5.0, 0.0, 0.0], [7.0, 0.0, 0.0], [3.0, -1.2, 0.0]])  # two on the axis, one to the right
    depth = model.lidar_depth_grid(pts, k, t, 16, 16).view(4, 4)
    assert float(depth[2, 2]) == 5.0  # pixel (8, 8) -> cell (2, 2): the nearer of the two
    assert float(depth[2, 3]) == 3.0  # u = 8 + 10 * 1.2 / 3 = 12 -> cell column 3
    assert int((depth > 0).sum()) == 2
