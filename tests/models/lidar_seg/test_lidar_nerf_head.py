"""Camera rays, volume rendering and sparse trilinear interpolation of the LiDAR NeRF head against hand-computed
geometry and analytic results."""
import math

import numpy as np
import torch

from panguvision.models.lidar_seg import (NeRFSemanticHead, camera_rays, project_points, stratified_depths,
                                          trilinear_sparse, volume_render_weights)

K = torch.tensor([[100., 0, 50], [0, 100., 40], [0, 0, 1]])


def _cam_from_lidar(position=(1.0, 2.0, 3.0)):
    rot = torch.tensor([[0., -1, 0], [0, 0, -1], [1, 0, 0]])  # LiDAR (fwd, left, up) -> camera (right, down, fwd)
    t = torch.eye(4)
    t[:3, :3] = rot
    t[:3, 3] = -rot @ torch.tensor(position)
    return t


def test_camera_rays_hand_computed():
    uv = torch.tensor([[50., 40], [150., 40], [50., 140], [0., 0.]])
    origins, dirs = camera_rays(uv, K, _cam_from_lidar())
    torch.testing.assert_close(origins, torch.tensor([[1., 2, 3]]).expand(4, 3))
    # principal point: straight ahead; 100 px right at f=100: 45 deg to the right (-y); 100 px down: 45 deg down (-z)
    torch.testing.assert_close(dirs[:3], torch.tensor([[1., 0, 0], [1., -1, 0], [1., 0, -1]]))
    torch.testing.assert_close(dirs[3], torch.tensor([1., 0.5, 0.4]))
    # a point at ray parameter t projects back to the pixel with depth t
    uv_back, z = project_points(origins + 7.5 * dirs, K, _cam_from_lidar())
    torch.testing.assert_close(uv_back, uv)
    torch.testing.assert_close(z, torch.full((4,), 7.5))


def test_stratified_depths_stay_in_their_bins():
    g = torch.Generator().manual_seed(0)
    d, delta = stratified_depths(5, 2.0, 10.0, 8, perturb=True, generator=g)
    edges = 2.0 + torch.arange(8) * 1.0
    assert ((d >= edges) & (d <= edges + 1.0)).all() and torch.allclose(delta, torch.ones_like(delta))
    d_eval, _ = stratified_depths(1, 2.0, 10.0, 8, perturb=False)
    torch.testing.assert_close(d_eval[0], edges + 0.5)


def test_volume_rendering_of_a_constant_density_slab():
    near, far, n = 0.0, 20.0, 4000
    a, b, sigma = 5.0, 8.0, 0.7
    depths, deltas = stratified_depths(2, near, far, n, perturb=False)
    density = ((depths > a) & (depths < b)).double() * sigma
    dir_norm = torch.tensor([1.0, 2.0])  # the second ray travels 2 m per unit of depth: twice the optical thickness
    w, t_final = volume_render_weights(density, deltas.double(), dir_norm.double())
    for i, s in enumerate([sigma, 2 * sigma]):
        opacity = 1 - math.exp(-s * (b - a))
        assert abs(float(t_final[i]) - math.exp(-s * (b - a))) < 1e-6  # float32 bin widths
        assert abs(float(w[i].sum()) - opacity) < 1e-6
        # E[depth; ray ends in slab] = a (1 - e^{-sL}) + 1/s - (L + 1/s) e^{-sL}
        ell = b - a
        expected = a * opacity + 1 / s - (ell + 1 / s) * math.exp(-s * ell)
        assert abs(float((w[i] * depths[i].double()).sum()) - expected) < 5e-3
    assert float(w[:, depths[0] < a].abs().max()) == 0.0 and float(w[:, depths[0] > b].abs().max()) == 0.0


def _block(n=4, feat_fn=None, voxel=0.5, origin=(1.0, -2.0, 0.5)):
    idx = torch.stack(torch.meshgrid(*[torch.arange(n)] * 3, indexing='ij'), -1).reshape(-1, 3)
    coords = torch.cat([torch.zeros(len(idx), 1, dtype=torch.long), idx], 1)
    centres = torch.tensor(origin) + idx.float() * voxel
    return coords, feat_fn(centres), torch.full((3,), voxel), torch.tensor([origin])


def test_trilinear_interpolation_exact_on_constant_and_linear_fields():
    g = torch.Generator().manual_seed(0)
    coords, feats, vs, origins = _block(feat_fn=lambda c: torch.tensor([[2.0, -1.0]]).expand(len(c), 2))
    pts = origins + torch.rand(50, 3, generator=g) * 1.5  # inside the block's interior (centres span 0..1.5 m)
    out = trilinear_sparse(pts, torch.zeros(50, dtype=torch.long), coords, feats, vs, origins)
    torch.testing.assert_close(out['feats'], torch.tensor([[2.0, -1.0]]).expand(50, 2))
    torch.testing.assert_close(out['occupancy'], torch.ones(50))

    a = torch.tensor([[0.3, -1.2, 2.0], [1.0, 0.5, -0.7]])
    coords, feats, vs, origins = _block(feat_fn=lambda c: c @ a.T + torch.tensor([0.5, -2.0]))
    out = trilinear_sparse(pts, torch.zeros(50, dtype=torch.long), coords, feats, vs, origins)
    torch.testing.assert_close(out['feats'], pts @ a.T + torch.tensor([0.5, -2.0]), atol=1e-5, rtol=1e-5)

    # empty space; half a cell in front of the block's first x layer
    far = torch.tensor([[50.0, 50.0, 50.0], [origins[0, 0] - 0.25, origins[0, 1] + 0.7, origins[0, 2] + 0.7]])
    out = trilinear_sparse(far, torch.zeros(2, dtype=torch.long), coords, feats, vs, origins)
    assert float(out['feats'][0].abs().sum()) == 0 and float(out['occupancy'][0]) == 0
    assert abs(float(out['occupancy'][1]) - 0.5) < 1e-6  # the 4 corners that exist carry half the weight
    # another batch index sees nothing
    out = trilinear_sparse(pts[:3], torch.ones(3, dtype=torch.long), coords, feats, vs, origins.repeat(2, 1))
    assert float(out['occupancy'].sum()) == 0


def test_head_renders_the_depth_of_a_wall_and_backpropagates():
    # voxels of 0.25 m filling a wall 10 m ahead of the LiDAR (x in [10, 10.5]), camera at (0.27, 0, -0.08)
    vs = 0.25
    ys, zs, xs = torch.meshgrid(torch.arange(-40, 41), torch.arange(-12, 13), torch.arange(0, 3), indexing='ij')
    idx = torch.stack([xs, ys, zs], -1).reshape(-1, 3)
    origin = torch.tensor([[10.0, 0.0, 0.0]])
    coords = torch.cat([torch.zeros(len(idx), 1, dtype=torch.long), idx], 1)
    feats = torch.ones(len(idx), 8, requires_grad=True)
    head = NeRFSemanticHead(in_channels=8, num_classes=3, num_samples=200, near=1.0, far=21.0, density_bias=30.0)
    head.eval()
    uv = torch.tensor([[50., 40], [60., 45], [30., 20]])
    t = _cam_from_lidar(position=(0.27, 0.0, -0.08))
    out = head(feats, coords, torch.full((3,), vs), origin, uv, torch.zeros(3, dtype=torch.long), K[None], t[None])
    assert out['sem_logits'].shape == (3, 3) and out['weights'].shape == (3, 200)
    assert (out['opacity'] > 0.99).all()
    # the wall's first voxel centres are at x = 10 m, their cells begin at 9.875 m; depth along the axis is x - 0.27
    assert ((out['depth'] > 9.875 - 0.27 - 0.1) & (out['depth'] < 10.0 - 0.27 + 0.1)).all(), out['depth']
    losses = head.loss(out, torch.tensor([0, 2, 255]), torch.tensor([9.73, 0.0, 9.73]))
    sum(losses.values()).backward()
    assert feats.grad.abs().sum() > 0 and head.semantic.weight.grad.abs().sum() > 0
    assert np.isfinite([float(v) for v in losses.values()]).all()
