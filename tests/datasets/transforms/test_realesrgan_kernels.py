"""Blur kernels of the Real-ESRGAN degradation model."""
import math

import numpy as np
import pytest

from panguvision.datasets.transforms.degradation_kernels import (KERNEL_TYPES, generalized_gaussian_kernel, mesh_grid,
                                                                 pad_kernel, plateau_kernel, pulse_kernel,
                                                                 random_mixed_kernel, random_sinc_kernel, sinc_kernel)


def _principal_angle(kernel):
    """Angle (radians, mod pi) of the kernel's major axis from its second moments, x along columns, y along rows."""
    grid = mesh_grid(kernel.shape[0])
    cov = np.einsum('ij,ija,ijb->ab', kernel, grid, grid)
    values, vectors = np.linalg.eigh(cov)
    major = vectors[:, np.argmax(values)]
    return math.atan2(major[1], major[0]) % math.pi


@pytest.mark.parametrize('make', [generalized_gaussian_kernel, plateau_kernel])
@pytest.mark.parametrize('size', [7, 13, 21])
def test_kernels_sum_to_one_with_the_requested_shape(make, size):
    kernel = make(size, 1.5, 0.7, 0.3, beta=1.7)
    assert kernel.shape == (size, size)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-12)
    assert kernel.min() >= 0
    assert np.unravel_index(kernel.argmax(), kernel.shape) == (size // 2, size // 2)


@pytest.mark.parametrize('rotation', [0.0, 0.4, math.pi / 2, 2.5])
def test_anisotropic_kernel_major_axis_follows_rotation(rotation):
    kernel = generalized_gaussian_kernel(21, 3.0, 1.0, rotation)
    expected = rotation % math.pi
    diff = abs(_principal_angle(kernel) - expected)
    assert min(diff, math.pi - diff) < 0.02
    # A kernel with the axes' sigmas swapped is the same one turned by 90 degrees.
    swapped = generalized_gaussian_kernel(21, 1.0, 3.0, rotation + math.pi / 2)
    np.testing.assert_allclose(swapped, kernel, atol=1e-12)


def test_rotation_turns_from_x_towards_y():
    """Rotation pi/4 puts the major axis along the main diagonal (top-left to bottom-right on screen)."""
    kernel = generalized_gaussian_kernel(21, 3.0, 0.5, math.pi / 4)
    c = 10
    assert kernel[c + 3, c + 3] > 100 * kernel[c + 3, c - 3]


def test_isotropic_kernel_is_symmetric_and_beta_shapes_tails():
    iso = generalized_gaussian_kernel(21, 2.0)
    np.testing.assert_allclose(iso, iso.T, atol=1e-15)
    np.testing.assert_allclose(iso, iso[::-1], atol=1e-15)
    gauss = np.exp(-0.5 * (mesh_grid(21)**2).sum(-1) / 4.0)
    np.testing.assert_allclose(iso, gauss / gauss.sum(), atol=1e-12)
    heavy = generalized_gaussian_kernel(21, 2.0, beta=0.5)
    flat = generalized_gaussian_kernel(21, 2.0, beta=4.0)
    assert heavy[10, 0] > iso[10, 0] > flat[10, 0]  # tails
    plateau = plateau_kernel(21, 2.0, beta=2.0)
    assert plateau[10, 10] == pytest.approx(plateau[10, 11], rel=0.15)  # flat top
    assert plateau[10, 0] > iso[10, 0]


def test_sinc_kernel_is_a_radial_low_pass_with_ringing():
    kernel = sinc_kernel(13, math.pi / 3, pad_to=21)
    assert kernel.shape == (21, 21)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(kernel, kernel.T, atol=1e-15)
    assert kernel.min() < 0  # negative side lobes: ringing / overshoot
    assert np.all(kernel[:4] == 0) and np.all(kernel[:, -4:] == 0)  # zero padding around the 13x13 support
    # Low pass: the response to a pi-frequency checkerboard is far smaller than to a constant.
    checker = (-1.0)**np.add.outer(np.arange(21), np.arange(21))
    assert abs((kernel * checker).sum()) < 0.1
    with pytest.raises(ValueError, match='cutoff'):
        sinc_kernel(13, 4.0)


def test_pad_and_pulse():
    assert pad_kernel(np.ones((3, 3)), 7).shape == (7, 7)
    pulse = pulse_kernel(21)
    assert pulse.sum() == 1 and pulse[10, 10] == 1
    with pytest.raises(ValueError, match='odd'):
        pulse_kernel(20)


def test_random_mixed_kernel_follows_the_published_probabilities_and_ranges():
    rng = np.random.default_rng(0)
    prob = (0.45, 0.25, 0.12, 0.03, 0.12, 0.03)
    counts = dict.fromkeys(KERNEL_TYPES, 0)
    n = 3000
    for _ in range(n):
        kernel, params = random_mixed_kernel(rng, 7, KERNEL_TYPES, prob, (0.2, 3.0))
        counts[params['type']] += 1
        assert 0.2 <= params['sigma_x'] <= 3.0 and 0.2 <= params['sigma_y'] <= 3.0
        if params['type'].startswith('generalized'):
            assert 0.5 <= params['beta'] <= 4.0
        elif params['type'].startswith('plateau'):
            assert 1.0 <= params['beta'] <= 2.0
        if not params['type'].endswith('aniso'):
            assert params['sigma_x'] == params['sigma_y'] and params['rotation'] == 0
    for kind, p in zip(KERNEL_TYPES, prob):
        assert counts[kind] / n == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n) + 1e-3), (kind, counts)


def test_random_sinc_cutoff_ranges():
    rng = np.random.default_rng(1)
    small = [random_sinc_kernel(rng, 7)[1] for _ in range(200)]
    large = [random_sinc_kernel(rng, 15)[1] for _ in range(200)]
    assert min(small) >= math.pi / 3 and max(small) <= math.pi
    assert min(large) >= math.pi / 5 and min(large) < math.pi / 3  # larger kernels reach lower cut-offs
    assert random_sinc_kernel(rng, 9, pad_to=21)[0].shape == (21, 21)


def test_unknown_kernel_type_is_rejected():
    with pytest.raises(ValueError, match='unknown kernel types'):
        random_mixed_kernel(np.random.default_rng(0), 7, ('iso', 'box'), (0.5, 0.5))
