"""VectorQuantizer (nearest code, straight-through gradients, losses, EMA, l2 codebook) and VQTokenizer."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper, OptimWrapperDict

from panguvision.models.generation import VectorQuantizer, VQTokenizer

TINY = dict(ch=8, ch_mult=(1, 2), num_res_blocks=1, z_channels=8, mid_attn=True, codebook_size=16, code_dim=4)


def test_nearest_code_matches_brute_force():
    torch.manual_seed(0)
    vq = VectorQuantizer(num_codes=32, code_dim=6, l2_norm=False)
    z = torch.randn(2, 6, 5, 7)
    zq, _, idx = vq(z)
    flat = z.permute(0, 2, 3, 1).reshape(-1, 6)
    expected = torch.cdist(flat, vq.embedding.weight).argmin(1).view(2, 5, 7)
    assert torch.equal(idx, expected)
    assert torch.allclose(zq.permute(0, 2, 3, 1).reshape(-1, 6), vq.embedding.weight[expected.flatten()], atol=1e-6)
    # a latent equal to a code maps to that code
    codes = vq.embedding.weight[[3, 17, 29]].detach()
    assert vq(codes.t().reshape(1, 6, 1, 3))[2].flatten().tolist() == [3, 17, 29]


def test_straight_through_gradient_and_losses():
    torch.manual_seed(1)
    vq = VectorQuantizer(num_codes=8, code_dim=4, beta=0.25, l2_norm=False)
    z = torch.randn(1, 4, 3, 3, requires_grad=True)
    zq, losses, idx = vq(z)
    weight = torch.randn_like(zq)
    (zq * weight).sum().backward()
    assert torch.allclose(z.grad, weight)  # identity gradient through the quantiser
    codes = vq.embedding.weight[idx].permute(0, 3, 1, 2)
    mse = F.mse_loss(z.detach(), codes.detach())
    assert torch.isclose(losses['loss_commit'], 0.25 * mse)
    assert torch.isclose(losses['loss_codebook'], mse)
    # the codebook loss moves the codes, the commitment loss the encoder output
    z2 = z.detach().clone().requires_grad_(True)
    vq.embedding.weight.grad = None
    _, losses, _ = vq(z2)
    losses['loss_codebook'].backward()
    assert z2.grad is None or z2.grad.abs().sum() == 0
    assert vq.embedding.weight.grad.abs().sum() > 0


def test_l2_normalised_codebook_and_ema():
    torch.manual_seed(2)
    vq = VectorQuantizer(num_codes=8, code_dim=4, l2_norm=True)
    zq, _, _ = vq(torch.randn(2, 4, 3, 3) * 5)
    assert torch.allclose(zq.norm(dim=1), torch.ones(2, 3, 3), atol=1e-5)

    ema = VectorQuantizer(num_codes=4, code_dim=2, l2_norm=False, ema=True, decay=0.5)
    assert not ema.embedding.weight.requires_grad
    target = torch.tensor([3.0, -2.0])
    z = target.view(1, 2, 1, 1).expand(1, 2, 4, 4).contiguous()
    ema.train()
    _, losses, idx = ema(z)
    code = int(idx[0, 0, 0])
    before = (ema.embedding.weight[code] - target).norm()
    for _ in range(10):
        ema(z)
    assert (ema.embedding.weight[code] - target).norm() < 0.01 * before
    assert float(losses['loss_codebook']) == 0.0
    ema.eval()
    frozen = ema.embedding.weight.clone()
    ema(torch.randn(1, 2, 4, 4))
    assert torch.equal(frozen, ema.embedding.weight)  # no update in eval mode


def test_vq_tokenizer_round_trip_and_train_step():
    torch.manual_seed(3)
    vq = VQTokenizer(**TINY)
    x = torch.rand(2, 3, 16, 16)
    idx = vq.encode(x)
    assert idx.shape == (2, 8, 8) and idx.dtype == torch.long and int(idx.max()) < 16
    assert vq.decode(idx).shape == (2, 3, 16, 16)
    losses = vq.loss(x)
    assert {'loss_recon', 'loss_codebook', 'loss_commit', 'perplexity'} <= set(losses)
    with pytest.raises(ValueError, match='multiple of the downsampling'):
        vq.encode(torch.rand(1, 3, 15, 16))

    gan = VQTokenizer(**TINY, discriminator=dict(type='PatchDiscriminator', ch=8, num_layers=2))
    wrappers = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam([p for n, p in gan.named_parameters()
                                                 if not n.startswith('discriminator.')], lr=1e-3)),
        discriminator=OptimWrapper(torch.optim.Adam(gan.discriminator.parameters(), lr=1e-3)))
    before = [p.detach().clone() for p in gan.discriminator.parameters()]
    log = gan.train_step(dict(inputs=[torch.rand(3, 16, 16) * 255 for _ in range(2)]), wrappers)
    assert 'loss_gan_g' in log and 'loss_gan_d' in log
    assert any(not torch.equal(a, b) for a, b in zip(before, gan.discriminator.parameters()))
    with pytest.raises(TypeError, match='OptimWrapperDict'):
        gan.train_step(dict(inputs=[torch.rand(3, 16, 16) * 255]), wrappers['generator'])


def test_perceptual_loss_switch():
    torch.manual_seed(4)
    vq = VQTokenizer(**TINY, perceptual_loss=dict(type='mmdet.L1Loss'), perceptual_weight=0.5)
    x = torch.rand(2, 3, 16, 16)
    losses = vq.loss(x)
    assert 'loss_perceptual' in losses and 'loss_perceptual' not in VQTokenizer(**TINY).loss(x)
    assert torch.isclose(losses['loss_perceptual'], 0.5 * losses['loss_recon'])  # same L1 stand-in, weight 0.5
