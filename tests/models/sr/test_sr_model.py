"""The shared SR wrapper, the bicubic baseline and tiled inference."""
import pytest
import torch
from torch import nn

from panguvision.models.sr import BicubicUpsampler, SRModel, tiled_forward
from panguvision.structures import SRDataSample


class _LocalNet(nn.Module):
    """x2 network with a 2-pixel receptive radius (two 3x3 convs), bias-free so tiles cannot hide offsets."""

    def __init__(self):
        super().__init__()
        self.upscale = 2
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 12, 3, padding=1))
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x):
        return self.shuffle(self.body(x))


def _batch(n=2, h=10, w=12, scale=2):
    inputs = [torch.rand(3, h, w) * 255 for _ in range(n)]
    samples = [SRDataSample(gt_img=torch.rand(3, h * scale, w * scale) * 255, metainfo=dict(scale=scale))
               for _ in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_loss_and_predict_through_the_data_preprocessor():
    torch.manual_seed(0)
    model = SRModel(generator=_LocalNet())
    model.pixel_loss = nn.L1Loss()  # any loss module; configs use mmdet.L1Loss
    data = model.data_preprocessor(_batch(), training=True)
    assert data['inputs'].shape == (2, 3, 10, 12) and data['inputs'].max() <= 1
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_pix'} and losses['loss_pix'].requires_grad
    preds = model(**model.data_preprocessor(_batch()), mode='predict')
    assert len(preds) == 2 and preds[0].pred_img.shape == (3, 20, 24)
    assert 0 <= preds[0].pred_img.min() and preds[0].pred_img.max() <= 1


def test_model_without_loss_refuses_training():
    model = SRModel(generator=BicubicUpsampler(upscale=2))
    data = model.data_preprocessor(_batch(), training=True)
    with pytest.raises(RuntimeError, match='no pixel_loss'):
        model(**data, mode='loss')


def test_bicubic_is_parameter_free_and_upscales():
    model = SRModel(generator=dict(type='BicubicUpsampler', upscale=3))
    assert sum(p.numel() for p in model.parameters()) == 0 and model.scale == 3
    out = model.infer(torch.full((1, 3, 5, 7), 0.5))
    assert out.shape == (1, 3, 15, 21) and torch.allclose(out, torch.full_like(out, 0.5), atol=1e-6)


@pytest.mark.parametrize('size', [(37, 53), (16, 16), (9, 40)])
def test_tiled_inference_equals_whole_image_for_a_local_network(size):
    torch.manual_seed(0)
    net = _LocalNet().eval()
    x = torch.rand(1, 3, *size)
    with torch.no_grad():
        whole = net(x)
    tiled = tiled_forward(net, x, scale=2, tile_size=8, tile_overlap=4)
    assert tiled.shape == whole.shape
    assert torch.allclose(tiled, whole, atol=1e-6)


def test_tiling_with_too_little_overlap_shows_the_seams():
    """The control: an overlap below the receptive field changes pixels at tile borders."""
    torch.manual_seed(0)
    net = _LocalNet().eval()
    x = torch.rand(1, 3, 37, 53)
    with torch.no_grad():
        whole = net(x)
    assert not torch.allclose(tiled_forward(net, x, scale=2, tile_size=8, tile_overlap=0), whole, atol=1e-4)


def test_released_weights_without_prefix_load_strictly():
    model = SRModel(generator=_LocalNet())
    raw = {k: torch.randn_like(v) for k, v in model.generator.state_dict().items()}
    model.load_state_dict(raw)
    assert torch.equal(model.generator.body[0].weight, raw['body.0.weight'])
    bad = dict(raw)
    bad.pop('body.2.weight')
    bad['extra'] = torch.zeros(1)
    with pytest.raises(KeyError, match=r"missing \['body.2.weight'\].*unexpected \['extra'\]"):
        model.load_state_dict(bad)
