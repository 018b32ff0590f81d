"""inference_depth: depth, points and camera of one image, with and without known intrinsics."""
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'tests/configs/tiny_unidepth.py'


@pytest.fixture(scope='module')
def model():
    from panguvision.apis import init_model
    return init_model(str(CONFIG), device='cpu')


def test_inference_without_and_with_intrinsics(model, tmp_path):
    from panguvision.apis import inference_depth
    from panguvision.utils.image_io import write_image
    img = np.random.default_rng(0).integers(0, 256, (45, 70, 3), dtype=np.uint8)
    free = inference_depth(model, img)
    assert free['depth'].shape == (45, 70) and free['depth'].dtype == np.float32 and (free['depth'] > 0).all()
    assert free['points'].shape == (45, 70, 3)
    assert np.allclose(free['points'][..., 2], free['depth'], rtol=1e-5)
    assert free['intrinsics'].shape == (3, 3) and np.array_equal(free['intrinsics'], free['pred_intrinsics'])
    assert free['intrinsics'][0, 0] > 0 and -0.5 <= free['intrinsics'][0, 2] <= 69.5

    K = np.array([[40.0, 0, 34.5], [0, 42.0, 22.0], [0, 0, 1]])
    write_image(str(tmp_path / 'img.png'), img)
    known = inference_depth(model, str(tmp_path / 'img.png'), K)
    assert np.array_equal(known['intrinsics'], K)
    X, Y, Z = np.moveaxis(known['points'], -1, 0)
    assert np.allclose(40 * X / Z + 34.5, np.arange(70)[None].repeat(45, 0), atol=1e-3)
    assert np.allclose(42 * Y / Z + 22.0, np.arange(45)[:, None].repeat(70, 1), atol=1e-3)


def test_inference_rejects_bad_inputs(model):
    from panguvision.apis import inference_depth
    with pytest.raises(ValueError, match='uint8 RGB'):
        inference_depth(model, np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match='3x3'):
        inference_depth(model, np.zeros((8, 8, 3), np.uint8), np.eye(2))
