"""MATLAB-compatible bicubic imresize: hand-derived values, shapes, torch/numpy agreement and Set5 reproduction."""
import numpy as np
import pytest
import torch

from panguvision.utils.imresize import cubic_kernel, imresize, imresize_np, resize_weight_matrix

# Keys' cubic (a = -0.5) at the distances that occur for x2 resizes, derived by hand:
#   |x| <= 1: 1.5|x|^3 - 2.5|x|^2 + 1        -> k(0.25) = 0.8671875, k(0.75) = 0.2265625
#   1 < |x| <= 2: -0.5|x|^3 + 2.5|x|^2 - 4|x| + 2 -> k(1.25) = -0.0703125, k(1.75) = -0.0234375
K025, K075, K125, K175 = 0.8671875, 0.2265625, -0.0703125, -0.0234375


def test_cubic_kernel_values():
    x = torch.tensor([0.0, 0.25, 0.75, 1.0, 1.25, 1.75, 2.0, 2.5, -0.75], dtype=torch.float64)
    expected = [1.0, K025, K075, 0.0, K125, K175, 0.0, 0.0, K075]
    assert cubic_kernel(x).tolist() == pytest.approx(expected, abs=1e-15)


def test_upscale_x2_ramp_matches_hand_derivation():
    # Input ramp v = [1, 2, 3, 4], output x (1-based) samples u = x / 2 + 0.25. With symmetric padding
    # (index 0 -> v1, -1 -> v2, 5 -> v4, 6 -> v3):
    #   x=1, u=0.75: v2*k(1.75) + v1*k(0.75) + v1*k(0.25) + v2*k(1.25) = 0.90625
    #   x=2, u=1.25: v1*k(1.25) + v1*k(0.25) + v2*k(0.75) + v3*k(1.75) = 1.1796875
    #   x=3, u=1.75: v1*k(1.75) + v1*k(0.75) + v2*k(0.25) + v3*k(1.25) = 1.7265625
    #   x=4, u=2.25: v1*k(1.25) + v2*k(0.25) + v3*k(0.75) + v4*k(1.75) = 2.25 (interior: linear is reproduced)
    # and the second half is the mirror image: out[7 - i] = 5 - out[i].
    x1 = 2 * K175 + K075 + K025 + 2 * K125
    x2 = K125 + K025 + 2 * K075 + 3 * K175
    x3 = K175 + K075 + 2 * K025 + 3 * K125
    x4 = K125 + 2 * K025 + 3 * K075 + 4 * K175
    assert (x1, x2, x3, x4) == (0.90625, 1.1796875, 1.7265625, 2.25)
    expected = np.array([x1, x2, x3, x4, 5 - x4, 5 - x3, 5 - x2, 5 - x1])

    ramp = np.repeat(np.arange(1, 5, dtype=np.float64)[:, None], 3, axis=1)  # (4, 3): rows 1..4, constant along W
    out = imresize_np(ramp, output_shape=(8, 3))
    assert out.shape == (8, 3)
    np.testing.assert_allclose(out, np.repeat(expected[:, None], 3, axis=1), atol=1e-12)


def test_downscale_x2_ramp_is_antialiased_like_matlab():
    # Downscale 1..8 to 4 samples: u = 2x - 0.5, kernel k(d / 2) on 8 taps with weights
    # [k(1.75), k(1.25), k(0.75), k(0.25), k(0.25), k(0.75), k(1.25), k(1.75)] (sum 2, then normalised).
    # x=1, u=1.5: taps -2..5 read v3, v2, v1, v1, v2, v3, v4, v5 (symmetric padding) -> 1.44921875.
    # x=2, u=3.5: taps 0..7 read v1, v1, v2, ..., v7 -> 3.48828125. The rest mirrors: out[3 - i] = 9 - out[i].
    w = np.array([K175, K125, K075, K025, K025, K075, K125, K175]) / 2
    x1 = w @ np.array([3, 2, 1, 1, 2, 3, 4, 5])
    x2 = w @ np.array([1, 1, 2, 3, 4, 5, 6, 7])
    assert (x1, x2) == (1.44921875, 3.48828125)
    ramp = np.repeat(np.arange(1, 9, dtype=np.float64)[None, :], 2, axis=0)  # (2, 8): ramp along W
    out = imresize_np(ramp, output_shape=(2, 4))
    np.testing.assert_allclose(out[0], [x1, x2, 9 - x2, 9 - x1], atol=1e-12)
    np.testing.assert_allclose(out[1], out[0], atol=1e-12)


def test_downscale_of_constant_image_stays_constant():
    img = np.full((12, 9, 3), 77, dtype=np.uint8)
    for scale in (1 / 2, 1 / 3, 1 / 4):
        out = imresize_np(img, scale)
        assert out.dtype == np.uint8
        assert (out == 77).all()
    out = imresize(torch.full((2, 3, 12, 9), 0.3), scale=1 / 3)
    assert torch.allclose(out, torch.full_like(out, 0.3), atol=1e-6)


def test_weight_rows_sum_to_one():
    for in_len, out_len, scale in [(10, 20, 2.0), (12, 4, 1 / 3), (7, 3, 0.25), (5, 5, 1.0)]:
        w = resize_weight_matrix(in_len, out_len, scale)
        assert w.shape == (out_len, in_len)
        assert torch.allclose(w.sum(1), torch.ones(out_len, dtype=torch.float64))
    assert torch.equal(resize_weight_matrix(5, 5, 1.0), torch.eye(5, dtype=torch.float64))


def test_output_shapes_follow_matlab_ceil():
    img = np.zeros((10, 7, 3), dtype=np.uint8)
    assert imresize_np(img, 1 / 4).shape == (3, 2, 3)  # ceil(2.5), ceil(1.75)
    assert imresize_np(img, 3).shape == (30, 21, 3)
    assert imresize_np(img, output_shape=(5, 9)).shape == (5, 9, 3)
    assert imresize_np(img[..., 0], 2).shape == (20, 14)
    with pytest.raises(ValueError, match='exactly one'):
        imresize_np(img)
    with pytest.raises(ValueError, match='exactly one'):
        imresize_np(img, 2, output_shape=(3, 3))


def test_torch_batched_matches_numpy_float():
    rng = np.random.default_rng(0)
    imgs = rng.random((2, 3, 13, 11))
    out = imresize(torch.from_numpy(imgs), scale=2)
    assert out.shape == (2, 3, 26, 22) and out.dtype == torch.float64
    for n in range(2):
        expected = imresize_np(imgs[n].transpose(1, 2, 0), scale=2).transpose(2, 0, 1)
        np.testing.assert_allclose(out[n].numpy(), expected, atol=1e-12)
    single = imresize(torch.from_numpy(imgs[0]).float(), scale=0.5)
    assert single.shape == (3, 7, 6) and single.dtype == torch.float32
    np.testing.assert_allclose(single.numpy(), imresize_np(imgs[0].transpose(1, 2, 0), 0.5).transpose(2, 0, 1),
                               atol=1e-5)


def test_uint8_output_is_rounded_and_saturated():
    img = np.zeros((8, 8, 3), dtype=np.uint8)
    img[:, 4:] = 255  # a step edge: the cubic overshoot must saturate, not wrap
    out = imresize_np(img, 2)
    ref = imresize_np(img.astype(np.float64), 2)
    assert out.dtype == np.uint8
    assert ref.min() < 0 and ref.max() > 255
    np.testing.assert_array_equal(out, np.clip(np.floor(ref + 0.5), 0, 255))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
@pytest.mark.gpu
def test_cuda_matches_cpu():
    x = torch.rand(2, 3, 17, 19, dtype=torch.float64)
    np.testing.assert_allclose(imresize(x.cuda(), 4).cpu().numpy(), imresize(x, 4).numpy(), atol=1e-10)


@pytest.mark.data
@pytest.mark.parametrize('scale', [2, 3, 4])
def test_set5_downscale_reproduces_matlab_lr(load_set5, scale):
    """Our uint8 downscale of the (mod-cropped) Set5 HR images equals the MATLAB-made LR_bicubic PNGs."""
    equal = total = 0
    max_diff = 0
    for name, hr, lr in load_set5(scale):
        ours = imresize_np(hr, 1 / scale)
        assert ours.shape == lr.shape, name
        diff = np.abs(ours.astype(np.int64) - lr.astype(np.int64))
        equal += int((diff == 0).sum())
        total += diff.size
        max_diff = max(max_diff, int(diff.max()))
    print(f'Set5 x{scale}: {equal / total:.6f} of pixels equal, max abs diff {max_diff}')
    assert equal / total >= 0.99
    assert max_diff <= 1
