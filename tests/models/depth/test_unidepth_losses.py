"""UniDepth losses: zero exactly when they should be, positive otherwise, with gradients."""
import pytest
import torch

from panguvision.models.depth.unidepth.losses import (CameraRayLoss, GeometricInvarianceLoss, SILogLoss,
                                                      warp_between_views)


def _depth(seed=0, shape=(2, 1, 12, 16)):
    return 0.5 + 10 * torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def test_silog_zero_for_exact_prediction_and_positive_otherwise():
    gt = _depth()
    loss = SILogLoss()
    assert loss(gt.log(), gt).item() == pytest.approx(0.0, abs=1e-6)
    # a global scale error costs sqrt((1 - 0.85) log(s)^2 + eps) - sqrt(eps), not 0: metric scale is learnt
    scaled = loss(gt.log() + 0.2, gt).item()
    assert scaled == pytest.approx((0.15 * 0.2**2 + 1e-6)**0.5 - 1e-3, rel=1e-4)
    noisy = (gt.log() + 0.3 * torch.randn(gt.shape, generator=torch.Generator().manual_seed(1))).requires_grad_()
    value = SILogLoss(loss_weight=2.0)(noisy, gt)
    assert value.item() > 0.3
    value.backward()
    assert torch.isfinite(noisy.grad).all() and noisy.grad.abs().sum() > 0


def test_silog_ignores_missing_ground_truth_and_checks_shapes():
    gt = _depth()
    pred = gt.log().clone()
    gt_sparse = gt.clone()
    gt_sparse[:, :, ::2] = 0  # no value
    pred[:, :, ::2] = 5.0  # wrong only where there is no ground truth
    assert SILogLoss()(pred, gt_sparse).item() == pytest.approx(0.0, abs=1e-6)
    assert SILogLoss()(pred, torch.zeros_like(gt)).item() == 0.0
    with pytest.raises(ValueError, match='differ'):
        SILogLoss()(pred[:, :, :4], gt)


def test_warp_identity_and_flip():
    src = torch.arange(24.0).reshape(1, 1, 4, 6)
    ident = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    out, inside = warp_between_views(src, ident, ident, (4, 6))
    assert torch.allclose(out, src, atol=1e-5) and inside.all()
    flip = torch.tensor([[-1.0, 5.0, 1.0, 0.0]])  # u' = 5 - u
    out, inside = warp_between_views(src, flip, ident, (4, 6))
    assert torch.allclose(out, src.flip(-1), atol=1e-5) and inside.all()


def test_geometric_invariance_zero_for_consistent_views_positive_otherwise():
    g = torch.Generator().manual_seed(0)
    scene = torch.rand(1, 1, 20, 30, generator=g).log()
    # view a: crop rows 2.., cols 4.. of the original (u' = u - 4); view b: the original flipped (u' = 29 - u)
    # view b: the original flipped (u' = 29 - u), then cropped at rows 2.., cols 6.. (u'' = 23 - u, v'' = v - 2)
    view_a, aff_a = scene[..., 2:18, 4:24], torch.tensor([[1.0, -4.0, 1.0, -2.0]])
    b_in_a = scene.flip(-1)[..., 2:18, 6:26]
    aff_b_crop = torch.tensor([[-1.0, 29.0 - 6, 1.0, -2.0]])
    loss = GeometricInvarianceLoss(loss_weight=0.1)
    assert loss(view_a, b_in_a, aff_a, aff_b_crop).item() == pytest.approx(0.0, abs=1e-6)
    student = (view_a + 0.5).requires_grad_()
    value = loss(student, b_in_a, aff_a, aff_b_crop)
    assert value.item() == pytest.approx(0.1 * 0.5, rel=1e-4)
    value.backward()
    assert student.grad.abs().sum() > 0


def test_camera_ray_loss():
    K = torch.tensor([[[60.0, 0, 31.5], [0, 60.0, 23.5], [0, 0, 1]]])
    loss = CameraRayLoss(loss_weight=0.25)
    assert loss(K, K, (48, 64)).item() == 0.0
    wider = K.clone()
    wider[:, 0, 0] = 40.0
    wrong = loss(wider.requires_grad_(), K, (48, 64))
    assert wrong.item() > 0.01
    wrong.backward()
    assert wider.grad[0, 0, 0] != 0
    # the principal point matters too
    shifted = K.clone()
    shifted[:, 0, 2] += 8
    assert loss(shifted, K, (48, 64)).item() > 0.01
