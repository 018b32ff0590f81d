"""MASA building blocks: DCNv2 fusion neck, SAM ViT backbone and pyramid, quasi-dense track head and its losses."""
import pytest
import torch
from mmengine.registry import init_default_scope

from panguvision.registry import MODELS


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('panguvision')


def test_fusion_neck_keeps_shapes_and_trains_its_deformable_convs():
    from mmcv.ops.modulated_deform_conv import ModulatedDeformConv2d
    torch.manual_seed(0)
    neck = MODELS.build(dict(type='DeformFusionNeck', in_channels=16, num_blocks=3))
    assert sum(isinstance(m, ModulatedDeformConv2d) for m in neck.modules()) == 9  # 3 blocks x (low, mid, high)
    feats = tuple(torch.randn(2, 16, s, s, requires_grad=True) for s in (16, 8, 4))
    outs = neck(feats)
    assert [o.shape for o in outs] == [f.shape for f in feats]
    sum(o.square().mean() for o in outs).backward()
    dcn = neck.blocks[0].spatial_conv_mid.conv
    assert dcn.weight.grad is not None and dcn.weight.grad.abs().sum() > 0
    # the offsets/masks are predicted by a conv that must receive gradient too (the modulation path)
    assert neck.blocks[0].spatial_conv_offset.weight.grad.abs().sum() > 0
    assert all(f.grad is not None and torch.isfinite(f.grad).all() for f in feats)


def test_fusion_neck_rejects_a_single_tensor():
    neck = MODELS.build(dict(type='DeformFusionNeck', in_channels=16, num_blocks=1, residual=False))
    with pytest.raises(TypeError, match='tuple of pyramid levels'):
        neck(torch.randn(1, 16, 8, 8))


@pytest.mark.parametrize('size', [(64, 64), (64, 96)])
def test_sam_backbone_any_size_and_simple_pyramid(size):
    torch.manual_seed(0)
    backbone = MODELS.build(dict(type='SAMImageEncoderBackbone', model_type='tiny'))
    (feat, ) = backbone(torch.randn(1, 3, *size))
    h, w = size[0] // 16, size[1] // 16
    assert feat.shape == (1, 32, h, w)
    pyramid = MODELS.build(dict(type='SimpleFeaturePyramid', in_channels=32, out_channels=16,
                                norm_cfg=dict(type='GN', num_groups=4)))
    shapes = [tuple(o.shape[-2:]) for o in pyramid((feat, ))]
    assert shapes == [(4 * h, 4 * w), (2 * h, 2 * w), (h, w), (h // 2, w // 2)]
    with pytest.raises(ValueError, match='divisible by 16'):
        backbone(torch.randn(1, 3, 60, 64))


def test_sam_backbone_loads_image_encoder_weights_from_a_sam_file(tmp_path):
    from panguvision.models.tracking.masa import build_sam_model
    sam = build_sam_model('tiny', seed=3)
    path = tmp_path / 'sam_tiny.pth'
    torch.save(sam.state_dict(), path)
    backbone = MODELS.build(dict(type='SAMImageEncoderBackbone', model_type='tiny', checkpoint=str(path)))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(backbone(x)[0], sam.image_encoder(x), atol=1e-5)
    torch.save({'image_encoder.bogus': torch.zeros(1)}, path)
    with pytest.raises(RuntimeError, match='does not fit'):
        MODELS.build(dict(type='SAMImageEncoderBackbone', model_type='tiny', checkpoint=str(path)))


def build_track_head(channels=16, embed=256):
    return MODELS.build(dict(
        type='QuasiDenseTrackHead', _scope_='mmdet',
        roi_extractor=dict(type='SingleRoIExtractor', roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
                           out_channels=channels, featmap_strides=[8, 16]),
        embed_head=dict(type='QuasiDenseEmbedHead', num_convs=4, num_fcs=1, in_channels=channels,
                        conv_out_channels=channels, fc_out_channels=64, embed_channels=embed,
                        norm_cfg=dict(type='GN', num_groups=4),
                        loss_track=dict(type='MultiPosCrossEntropyLoss', loss_weight=0.25),
                        loss_track_aux=dict(type='MarginL2Loss', neg_pos_ub=3, pos_margin=0, neg_margin=0.1,
                                            hard_mining=True, loss_weight=1.0))))


def test_track_head_is_4_conv_1_fc_with_256_d_embeddings():
    head = build_track_head()
    assert len(head.embed_head.convs) == 4 and len(head.embed_head.fcs) == 1
    feats = [torch.randn(1, 16, 16, 16), torch.randn(1, 16, 8, 8)]
    boxes = torch.tensor([[4., 4., 40., 60.], [50., 10., 120., 100.], [0., 0., 127., 127.]])
    embeds = head.predict(feats, [boxes])
    assert embeds.shape == (3, 256)


def test_multi_positive_contrastive_loss_is_lower_when_positives_match():
    loss = MODELS.build(dict(type='mmdet.MultiPosCrossEntropyLoss', loss_weight=0.25))
    targets = torch.tensor([[1, 0, 0], [0, 1, 1]], dtype=torch.float32)  # the 2nd key has 2 positives
    weights = torch.ones(2)
    good = torch.tensor([[5., 0., 0.], [0., 5., 5.]])
    bad = torch.tensor([[0., 5., 0.], [5., 0., 0.]])
    good_loss, bad_loss = loss(good, targets, weights, avg_factor=2), loss(bad, targets, weights, avg_factor=2)
    assert good_loss < 0.1 * bad_loss
    # by hand: 0.25 * mean_i log(1 + sum_{neg} sum_{pos} exp(s_neg - s_pos))
    s, t = bad, targets.bool()
    expected = []
    for i in range(2):
        diff = s[i][~t[i]].view(-1, 1) - s[i][t[i]].view(1, -1)
        expected.append(torch.log1p(diff.exp().sum()))
    assert torch.isclose(bad_loss, 0.25 * torch.stack(expected).mean(), atol=1e-5)


def test_margin_l2_aux_loss_on_a_hand_built_case():
    loss = MODELS.build(dict(type='mmdet.MarginL2Loss', neg_pos_ub=-1, pos_margin=0, neg_margin=0.1,
                             hard_mining=False, loss_weight=1.0))
    targets = torch.tensor([[1, 0], [0, 1]])
    perfect = torch.tensor([[1., 0.], [0., 1.]])  # cosine 1 for positives, 0 for negatives
    assert loss(perfect, targets) == 0
    cos = torch.tensor([[0.5, 0.3], [0.4, 0.9]])
    # positives pulled to 1: (1 - 0.5)^2, (1 - 0.9)^2; negatives pushed below 0.1: (0.3 - 0.1)^2, (0.4 - 0.1)^2
    expected = ((0.5**2 + 0.1**2) / 2 + (0.2**2 + 0.3**2) / 2) / 2
    assert torch.isclose(loss(cos, targets), torch.tensor(expected), atol=1e-5)
