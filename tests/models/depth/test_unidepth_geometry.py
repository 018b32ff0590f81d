"""UniDepth geometry: rays from intrinsics, spherical harmonics, pseudo-spherical <-> points, camera parameters."""
import math

import numpy as np
import pytest
import torch

from panguvision.models.depth.unidepth.geometry import (angles_to_rays, denormalize_intrinsics, generate_rays,
                                                        normalize_intrinsics, points_to_spherical, rays_to_angles,
                                                        scale_intrinsics, spherical_to_points)
from panguvision.models.depth.unidepth.spherical_harmonics import num_sh_basis, real_spherical_harmonics


def test_rays_match_hand_computed_values():
    K = torch.tensor([[[1.0, 0, 1], [0, 2.0, 1], [0, 0, 1]]])
    rays = generate_rays(K, (4, 3))
    assert rays.shape == (1, 4, 3, 3)
    # pixel (u=2, v=3): ((2 - 1) / 1, (3 - 1) / 2, 1) = (1, 1, 1) -> normalised
    assert torch.allclose(rays[0, 3, 2], torch.full((3, ), 1 / math.sqrt(3)), atol=1e-6)
    # the principal point looks straight ahead; pixel (0, 0): (-1, -0.5, 1) / 1.5
    assert torch.allclose(rays[0, 1, 1], torch.tensor([0.0, 0.0, 1.0]), atol=1e-6)
    assert torch.allclose(rays[0, 0, 0], torch.tensor([-1.0, -0.5, 1.0]) / 1.5, atol=1e-6)
    assert torch.allclose(rays.norm(dim=-1), torch.ones(1, 4, 3))


def test_generate_rays_rejects_bad_intrinsics():
    with pytest.raises(ValueError, match=r'\(B, 3, 3\)'):
        generate_rays(torch.eye(3), (2, 2))


def test_angles_and_rays_round_trip():
    rays = torch.nn.functional.normalize(torch.randn(100, 3) + torch.tensor([0, 0, 3.0]), dim=-1)
    angles = rays_to_angles(rays)
    assert torch.allclose(angles_to_rays(angles), rays, atol=1e-6)
    # azimuth of a ray to the right (+x) is positive, elevation of a ray downwards (+y) is positive
    right_down = rays_to_angles(torch.tensor([[0.6, 0.0, 0.8], [0.0, 0.6, 0.8]]))
    assert right_down[0, 0] > 0 and right_down[0, 1] == 0 and right_down[1, 1] > 0 and right_down[1, 0] == 0


def test_pseudo_spherical_points_round_trip():
    g = torch.Generator().manual_seed(0)
    points = torch.stack([torch.rand(2, 5, 7, generator=g) * 8 - 4, torch.rand(2, 5, 7, generator=g) * 4 - 2,
                          torch.rand(2, 5, 7, generator=g) * 20 + 0.5], dim=1).double()
    spherical = points_to_spherical(points)
    assert torch.allclose(spherical[:, 2], points[:, 2].log())
    assert torch.allclose(spherical_to_points(spherical), points, atol=1e-9)
    # points from rays: depth along the ray of K gives exactly K's projection back
    K = torch.tensor([[[50.0, 0, 3.5], [0, 60.0, 2.0], [0, 0, 1]]])
    angles = rays_to_angles(generate_rays(K, (5, 7))).permute(0, 3, 1, 2)
    z = torch.full((1, 1, 5, 7), 3.0)
    pts = spherical_to_points(torch.cat([angles, z.log()], dim=1))
    u = K[0, 0, 0] * pts[0, 0] / pts[0, 2] + K[0, 0, 2]
    v = K[0, 1, 1] * pts[0, 1] / pts[0, 2] + K[0, 1, 2]
    assert torch.allclose(u, torch.arange(7.0).expand(5, 7), atol=1e-4)
    assert torch.allclose(v, torch.arange(5.0)[:, None].expand(5, 7), atol=1e-4)
    assert torch.allclose(pts[0, 2], z[0, 0])


def test_spherical_harmonics_are_orthonormal():
    # Gauss-Legendre in z x uniform longitude integrates these polynomials exactly
    nodes, weights = np.polynomial.legendre.leggauss(20)
    lon = np.arange(40) * 2 * np.pi / 40
    z = np.repeat(nodes, len(lon))
    w = np.repeat(weights, len(lon)) * (2 * np.pi / len(lon))
    r = np.sqrt(1 - z**2)
    dirs = torch.tensor(np.stack([r * np.cos(np.tile(lon, 20)), r * np.sin(np.tile(lon, 20)), z], -1))
    Y = real_spherical_harmonics(dirs, max_degree=8)
    assert Y.shape == (800, 81) and num_sh_basis(8) == 81
    gram = Y.T @ (Y * torch.tensor(w)[:, None])
    assert torch.allclose(gram, torch.eye(81, dtype=gram.dtype), atol=1e-10)
    # degree 0 is the constant 1 / sqrt(4 pi); degree 1 is proportional to (y, z, x)
    assert torch.allclose(Y[:, 0], torch.full((800, ), 0.5 / math.sqrt(math.pi), dtype=Y.dtype))
    c1 = math.sqrt(3 / (4 * math.pi))
    assert torch.allclose(Y[:, 1:4].abs(), c1 * dirs[:, [1, 2, 0]].abs())


def test_spherical_harmonics_shapes_and_errors():
    assert real_spherical_harmonics(torch.randn(2, 3, 4, 3), 2).shape == (2, 3, 4, 9)
    with pytest.raises(ValueError, match='unit vectors'):
        real_spherical_harmonics(torch.randn(5, 2))


def test_camera_parameterisation_ranges_and_inverse():
    raw = torch.randn(64, 4) * 3
    K = normalize_intrinsics(raw, (48, 64))
    assert (K[:, 0, 0] > 0).all() and (K[:, 1, 1] > 0).all()
    assert (K[:, 0, 2] >= -0.5).all() and (K[:, 0, 2] <= 63.5).all()
    assert (K[:, 1, 2] >= -0.5).all() and (K[:, 1, 2] <= 47.5).all()
    assert torch.equal(K[:, 2], torch.tensor([0.0, 0, 1]).expand(64, 3))
    zero = normalize_intrinsics(torch.zeros(1, 4), (48, 64))[0]
    assert zero[0, 0] == 32 and zero[1, 1] == 32 and zero[0, 2] == 31.5 and zero[1, 2] == 23.5  # 90 deg, centre
    assert torch.allclose(denormalize_intrinsics(normalize_intrinsics(raw.clamp(-3, 3), (48, 64)), (48, 64)),
                          raw.clamp(-3, 3), atol=1e-3)


def test_scale_intrinsics_keeps_rays_of_pixel_areas():
    K = torch.tensor([[[100.0, 0, 31.5], [0, 100.0, 23.5], [0, 0, 1]]])
    half = scale_intrinsics(K, 0.5, 0.5)
    assert torch.allclose(half[0], torch.tensor([[50.0, 0, 15.5], [0, 50.0, 11.5], [0, 0, 1]]))
    # output pixel 0 of the half-size image covers input pixels 0 and 1: its ray is the ray of u = 0.5
    ray_half = generate_rays(half, (24, 32))[0, 0, 0]
    ray_full = torch.nn.functional.normalize(torch.tensor([(0.5 - 31.5) / 100, (0.5 - 23.5) / 100, 1.0]), dim=0)
    assert torch.allclose(ray_half, ray_full, atol=1e-6)
