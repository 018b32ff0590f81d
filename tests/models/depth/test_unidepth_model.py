"""UniDepthV1 end to end with tiny random encoders (timm ViT and ConvNeXt): shapes, losses, backward, camera."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement

from panguvision.registry import MODELS


def tiny_vit(**kwargs):
    cfg = dict(type='UniDepthV1',
               backbone=dict(type='TimmViTEncoder', embed_dim=32, depth=2, num_heads=2, patch_size=8, img_size=32,
                             out_indices=(0, 1)),
               decoder=dict(dim=32, num_heads=2, depths=(1, 1, 1), camera_depth=1, sh_degree=4, expansion=2,
                            depth_init=3.0))
    cfg.update(kwargs)
    init_default_scope('panguvision')
    torch.manual_seed(0)
    return MODELS.build(cfg)


def two_view_batch(model, size=(32, 48)):
    data = model.benchmark_batch(2, size, torch.Generator().manual_seed(0))
    data['inputs'] = [torch.stack([x, x.flip(-1)]) for x in data['inputs']]
    for sample in data['data_samples']:
        K = sample.metainfo['intrinsics']
        sample.gt_depth = torch.stack([sample.gt_depth, sample.gt_depth.flip(-1)])
        sample.set_metainfo(dict(intrinsics=[K, K], view_affine=[[1, 0, 1, 0], [-1, size[1] - 1, 1, 0]]))
    return data


def test_vit_model_two_view_loss_backward_and_predict():
    model = tiny_vit()
    assert model.size_divisor == 8
    data = model.data_preprocessor(two_view_batch(model), True)
    assert data['inputs'].shape == (2, 2, 3, 32, 48)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_silog', 'loss_camera', 'loss_invariance'}
    assert all(torch.isfinite(v) and v.item() >= 0 for v in losses.values())
    assert losses['loss_silog'].item() > 0 and losses['loss_camera'].item() > 0
    sum(losses.values()).backward()
    for name in ('backbone.vit.blocks.0.attn.qkv.weight', 'decoder.camera_layer.latents',
                 'decoder.depth_layer.project_rays4.proj1.weight', 'decoder.depth_layer.out2.weight'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name

    model.eval()
    batch = model.benchmark_batch(1, (37, 53), torch.Generator().manual_seed(1))  # not a multiple of 8
    samples = model.test_step(batch)
    assert samples[0].pred_depth.shape == (1, 37, 53) and (samples[0].pred_depth > 0).all()
    assert samples[0].pred_intrinsics.shape == (3, 3)
    depth = model(model.data_preprocessor(batch)['inputs'], mode='tensor')
    assert depth.shape == (1, 1, 37, 53)


def test_infer_points_lie_on_rays_of_the_used_camera():
    model = tiny_vit().eval()
    img = model.data_preprocessor(model.benchmark_batch(1, (40, 56), torch.Generator()))['inputs']
    K = torch.tensor([[[30.0, 0, 27.5], [0, 31.0, 19.5], [0, 0, 1]]])
    out = model.infer(img, K)
    assert torch.equal(out['intrinsics'], K)
    X, Y, Z = out['points'][0]
    assert torch.allclose(Z, out['depth'][0, 0], rtol=1e-5)
    u = 30.0 * X / Z + 27.5
    v = 31.0 * Y / Z + 19.5
    assert torch.allclose(u, torch.arange(56.0).expand(40, 56), atol=1e-3)
    assert torch.allclose(v, torch.arange(40.0)[:, None].expand(40, 56), atol=1e-3)
    # without K the predicted camera is used, and the depth differs (the rays condition the depth module)
    free = model.infer(img)
    assert torch.equal(free['intrinsics'], free['pred_intrinsics'])
    assert not torch.allclose(free['depth'], out['depth'])


def test_camera_module_output_ranges():
    model = tiny_vit().eval()
    for size in ((32, 48), (48, 32)):
        img = torch.randn(3, 3, *size)
        out = model.encode_decode(img)
        K = out['intrinsics']
        H, W = size
        assert K.shape == (3, 3, 3)
        assert (K[:, 0, 0] > 0).all() and (K[:, 1, 1] > 0).all()
        assert ((K[:, 0, 2] >= -0.5) & (K[:, 0, 2] <= W - 0.5)).all()
        assert ((K[:, 1, 2] >= -0.5) & (K[:, 1, 2] <= H - 0.5)).all()
        assert [x.shape[-2:] for x in out['log_depths']] == [(H // 4, W // 4), (H // 2, W // 2), (H, W)]
        assert out['log_depth'].shape == (3, 1, H, W)


def test_predict_with_dataset_intrinsics_and_errors():
    model = tiny_vit(test_cfg=dict(use_gt_intrinsics=True)).eval()
    batch = model.benchmark_batch(1, (32, 40), torch.Generator())
    sample = model.test_step(batch)[0]
    assert sample.pred_depth.shape == (1, 32, 40)
    batch['data_samples'] = [BaseDataElement()]
    with pytest.raises(KeyError, match='intrinsics'):
        model.test_step(batch)
    with pytest.raises(ValueError, match='multiple of 8'):
        model.encode_decode(torch.randn(1, 3, 30, 40))


def test_convnext_encoder_model():
    model = tiny_vit(backbone=dict(type='TimmConvNeXtEncoder', model_name='convnext_atto', depths=(1, 1, 1, 1),
                                   dims=(8, 16, 32, 64)),
                     decoder=dict(dim=32, num_heads=2, depths=(1, 1, 1), camera_depth=1, sh_degree=2, grid_level=2))
    assert model.size_divisor == 32 and model.backbone.embed_dims == [8, 16, 32, 64]
    data = model.data_preprocessor(model.benchmark_batch(2, (64, 96), torch.Generator()), True)
    losses = model(**data, mode='loss')
    assert 'loss_invariance' not in losses  # one view
    sum(losses.values()).backward()
    out = model.encode_decode(data['inputs'])
    assert out['grid'] == (4, 6) and out['log_depth'].shape == (2, 1, 64, 96)


def test_local_encoder_weights_load_strictly(tmp_path):
    from timm.models.vision_transformer import VisionTransformer
    ref = VisionTransformer(img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2, init_values=1e-5,
                            num_classes=0, dynamic_img_size=True)
    torch.save(ref.state_dict(), tmp_path / 'vit.pth')
    model = tiny_vit(backbone=dict(type='TimmViTEncoder', embed_dim=32, depth=2, num_heads=2, patch_size=8,
                                   img_size=32, out_indices=(0, 1), weights=str(tmp_path / 'vit.pth')))
    assert torch.equal(model.backbone.vit.blocks[1].mlp.fc2.weight, ref.blocks[1].mlp.fc2.weight)
    torch.save({'blocks.0.bogus': torch.zeros(1)}, tmp_path / 'bad.pth')
    with pytest.raises(KeyError, match='bad.pth'):
        tiny_vit(backbone=dict(type='TimmViTEncoder', embed_dim=32, depth=2, num_heads=2, patch_size=8, img_size=32,
                               out_indices=(0, 1), weights=str(tmp_path / 'bad.pth')))


def test_data_preprocessor_normalises_and_checks_shapes():
    init_default_scope('panguvision')
    pre = MODELS.build(dict(type='DepthDataPreprocessor', mean=[10, 20, 30], std=[2, 4, 5]))
    out = pre(dict(inputs=[torch.full((3, 2, 2), 40.0)]))
    assert torch.allclose(out['inputs'][0, :, 0, 0], torch.tensor([15.0, 5.0, 2.0]))
    with pytest.raises(ValueError, match='share a shape'):
        pre(dict(inputs=[torch.zeros(3, 2, 2), torch.zeros(3, 2, 3)]))
    with pytest.raises(ValueError, match='positive'):
        MODELS.build(dict(type='DepthDataPreprocessor', std=[1, 0, 1]))
