"""The class-agnostic mask-consistency loss and its use in ``NeRFSAMMinkUNet`` (``mask_consistency``)."""
import copy

import numpy as np
import pytest
import torch
from lidar_test_utils import TINY_SEGMENTOR, make_scene, two_scan_batch  # this folder
from mmengine.registry import init_default_scope

from panguvision.models.lidar_seg.mask_consistency import mask_consistency_loss, mask_index_map
from panguvision.registry import MODELS


def test_mask_index_map_smaller_mask_wins_and_uncovered_is_minus_one():
    big = np.zeros((4, 6), bool)
    big[:, :4] = True
    small = np.zeros((4, 6), bool)
    small[:2, 2:5] = True
    ids = mask_index_map([small, big])  # order of the list does not matter, size does
    assert ids[0, 0] == 1 and ids[0, 2] == 0 and ids[0, 4] == 0 and ids[3, 3] == 1
    assert ids[3, 5] == -1 and ids[0, 5] == -1
    with pytest.raises(ValueError):
        mask_index_map([])


def test_consistency_loss_is_zero_for_agreeing_masks_even_when_they_are_wrong():
    # every voxel of group 0 predicts the same (say wrong) distribution: nothing to pull, no gradient
    logits = torch.tensor([[3.0, 0.0, 0.0]] * 4, requires_grad=True)
    loss = mask_consistency_loss(logits, torch.zeros(4, dtype=torch.long))
    loss.backward()
    assert float(loss.detach()) < 1e-6 and float(logits.grad.abs().max()) < 1e-6


def test_consistency_loss_pulls_each_voxel_towards_its_mask_mean():
    torch.manual_seed(0)
    logits = torch.randn(9, 4, requires_grad=True)
    groups = torch.tensor([0, 0, 0, 0, 1, 1, 1, 2, -1])  # group 2 has one voxel (< min_size), -1 is in no mask
    loss = mask_consistency_loss(logits, groups, min_size=3)
    p = logits.softmax(1).detach()
    q0, q1 = p[:4].mean(0), p[4:7].mean(0)
    want = torch.cat([(q0 * (q0.log() - p[:4].log())).sum(1), (q1 * (q1.log() - p[4:7].log())).sum(1)]).mean()
    torch.testing.assert_close(loss, want)
    loss.backward()
    assert float(logits.grad[7:].abs().max()) == 0  # the small group and the unmasked voxel get no gradient
    # gradient descent makes the voxels of a group agree more
    spread = p[:4].std(0).sum()
    with torch.no_grad():
        stepped = logits - 2.0 * logits.grad * len(logits)
    assert stepped.softmax(1)[:4].std(0).sum() < spread


def test_temperature_sharpens_the_target_and_bad_input_is_refused():
    logits = torch.tensor([[1.0, 0.0], [0.0, 0.5], [0.8, 0.0]])
    groups = torch.zeros(3, dtype=torch.long)
    plain = mask_consistency_loss(logits, groups, temperature=1.0)
    sharp = mask_consistency_loss(logits, groups, temperature=0.25)
    assert float(sharp) > float(plain) > 0
    assert float(mask_consistency_loss(logits, torch.full((3,), -1))) == 0
    with pytest.raises(ValueError):
        mask_consistency_loss(logits, groups, temperature=0)
    with pytest.raises(ValueError):
        mask_consistency_loss(logits, groups[:2])


@pytest.fixture(scope='module')
def scene():
    return make_scene()


TINY = dict(TINY_SEGMENTOR, mask_consistency=dict(loss_weight=1.0, min_voxels=3))


def _model(scene, **overrides):
    init_default_scope('panguvision')
    torch.manual_seed(0)
    cfg = copy.deepcopy(TINY)
    cfg.update(overrides)
    model = MODELS.build(cfg).train()
    true_masks = [scene['pixel_cls'] == c for c in range(5) if (scene['pixel_cls'] == c).any()]
    model._mask_generator = lambda image: [dict(segmentation=m, area=int(m.sum())) for m in true_masks]
    return model, true_masks


def test_segmentor_groups_the_unlabelled_scans_voxels_by_mask(scene):
    model, true_masks = _model(scene)
    data = model.data_preprocessor(two_scan_batch(scene), training=True)
    coords = data['inputs']['voxels']['coors'].long()
    gt_all = torch.cat([ds.gt_pts_seg.voxel_semantic_mask for ds in data['data_samples']]).long()
    feats = torch.randn(len(coords), 8)
    out = model.render_camera(feats, coords, data['inputs'], data['data_samples'], [1])
    rows, groups = out['mask_rows'], out['mask_groups']
    assert len(rows) > 300 and (coords[rows, 0] == 1).all() and len(out['voxel_rows']) == 0
    # the masks are the true class regions: the voxels of one group share the true class (up to occlusion edges)
    mask_cls = torch.tensor([int(np.bincount(scene['pixel_cls'][m]).argmax()) for m in true_masks])
    assert (gt_all[rows] == mask_cls[groups]).float().mean() > 0.93


def test_segmentor_consistency_loss_trains_the_backbone_and_never_reads_unlabelled_labels(scene):
    model, _ = _model(scene)
    data = model.data_preprocessor(two_scan_batch(scene), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert 'loss_mask_consistency' in losses and 'loss_point_pseudo' not in losses
    assert float(losses['loss_mask_consistency'].detach()) > 0
    model.zero_grad()
    losses['loss_mask_consistency'].backward()
    assert model.backbone.conv_input[0].conv.weight.grad.abs().sum() > 0
    other = model.data_preprocessor(two_scan_batch(scene, shift_unlabelled_labels=2), training=True)
    again = model.loss(other['inputs'], other['data_samples'])
    torch.testing.assert_close(again['loss_mask_consistency'], losses['loss_mask_consistency'])
    # the weight scales it; off (None) = no such loss and no unlabelled-scan work at all
    model2, _ = _model(scene, mask_consistency=dict(loss_weight=0.5, min_voxels=3))
    half = model2.loss(data['inputs'], data['data_samples'])['loss_mask_consistency']
    torch.testing.assert_close(half, 0.5 * losses['loss_mask_consistency'])
    model3, _ = _model(scene, mask_consistency=None)
    assert set(model3.loss(data['inputs'], data['data_samples'])) == {'loss_sem_seg'}


# ------------------------------------------------------------------------------ distribution alignment of the votes
def test_distribution_alignment_takes_the_over_predicted_class_down(scene):
    model, _ = _model(scene, mask_consistency=None, point_pseudo_label=dict(
        loss_weight=1.0, threshold=0.6, min_voters=1, distribution_alignment=dict(momentum=0.5)))
    probs = torch.tensor([[0.7, 0.3, 0.0, 0.0, 0.0], [0.9, 0.1, 0.0, 0.0, 0.0]])
    torch.testing.assert_close(model.align_distribution(probs), probs)  # no labelled prior yet: unchanged
    torch.testing.assert_close(model.da_unlabelled_mean, torch.tensor([0.8, 0.2, 0.0, 0.0, 0.0]))
    model.da_labelled_prior.copy_(torch.tensor([0.4, 0.4, 0.1, 0.05, 0.05]))
    out = model.align_distribution(probs)  # the mean is now 0.5 * old + 0.5 * new = the same (0.8, 0.2)
    want = probs * torch.tensor([0.5, 2.0, 0.0, 0.0, 0.0])  # prior / mean; 0 / clamp -> tiny classes stay ~0
    torch.testing.assert_close(out[:, :2], (want / want.sum(1, keepdim=True))[:, :2], atol=1e-4, rtol=1e-4)
    assert out[0].argmax() == 1  # 0.7 vs 0.3 becomes 0.37 vs 0.63
    keys = model.state_dict().keys()
    assert 'da_labelled_prior' in keys and 'da_unlabelled_mean' in keys  # saved in checkpoints: resume is exact


def test_labelled_prior_is_the_class_histogram_of_the_labelled_voxels_in_view(scene):
    model, _ = _model(scene, mask_consistency=None, point_pseudo_label=dict(
        loss_weight=1.0, distribution_alignment=dict(momentum=0.99)))
    data = model.data_preprocessor(two_scan_batch(scene), training=True)
    coords = data['inputs']['voxels']['coors'].long()
    model.update_labelled_prior(data['inputs'], coords, data['data_samples'], [0])
    ks = torch.as_tensor(scene['camera']['K']).float()
    ts = torch.as_tensor(scene['camera']['lidar2cam']).float()
    proj = model.project_voxels(data['inputs'], coords, 0, ks, ts, scene['camera']['height'], scene['camera']['width'])
    gt = data['data_samples'][0].gt_pts_seg.voxel_semantic_mask.long()[proj['rows']]
    hist = torch.bincount(gt[gt < 5], minlength=5).float()
    torch.testing.assert_close(model.da_labelled_prior, hist / hist.sum())
    # the loss updates it from labelled scans only: an unlabelled scan with shifted labels changes nothing
    model.da_labelled_prior.fill_(float('nan'))
    model.loss(data['inputs'], data['data_samples'])
    first = model.da_labelled_prior.clone()
    shifted = model.data_preprocessor(two_scan_batch(scene, shift_unlabelled_labels=2), training=True)
    model.da_labelled_prior.fill_(float('nan'))
    model.loss(shifted['inputs'], shifted['data_samples'])
    torch.testing.assert_close(model.da_labelled_prior, first)
    torch.testing.assert_close(first, hist / hist.sum())
