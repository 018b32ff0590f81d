"""EAM on tiny random diffusers parts: training trains only the LR streams, progressive masking follows its
schedule, rectified-flow protocol, sampling, seamless latent tiling, DSPO alignment at log 2, clear errors."""
import math

import pytest
import torch
from mmengine.structures import BaseDataElement

pytest.importorskip('diffusers', reason='EAM builds on diffusers (SD3 transformer, AutoencoderKL, scheduler)')
pytest.importorskip('transformers', reason='EAM encodes prompts with a CLIP text model')

from panguvision.models.sr.dspo import DSPOWrapper  # noqa: E402
from panguvision.models.sr.eam import EAM, mask_ratio_at, tiled_denoise, tiny_sd3_config, tiny_vae_config  # noqa
from panguvision.structures import SRDataSample  # noqa: E402

TRAINABLE = ('generator.lr_streams.', 'generator.lr_pos_embed.', 'mask_token')


def build(**kwargs):
    torch.manual_seed(0)
    cfg = dict(transformer=dict(type='PsiDiT', base=tiny_sd3_config()), vae=tiny_vae_config(),
               default_prompt='a photo', test_cfg=dict(num_steps=2, seed=0))
    cfg.update(kwargs)
    return EAM(**cfg)


@pytest.fixture(scope='module')
def model():
    return build().eval()


def test_training_step_updates_only_the_lr_stream():
    model = build(mask_cfg=dict(anneal_iters=10)).train()
    model.iter_override = 0
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(TRAINABLE) for n in trainable)
    assert any(n.startswith('generator.base.') for n, _ in model.named_parameters())
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optim = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    g = torch.Generator().manual_seed(0)
    lq = torch.rand(2, 3, 16, 16, generator=g)
    samples = [SRDataSample(gt_img=torch.rand(3, 64, 64, generator=g)) for _ in range(2)]
    for _ in range(2):  # the merges are zero at init: the second step reaches the rest of the LR stream
        losses = model.loss(lq, samples)
        assert torch.isfinite(losses['loss_flow']) and losses['mask_ratio'].item() == pytest.approx(0.95)
        optim.zero_grad()
        losses['loss_flow'].backward()
        optim.step()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and changed <= trainable
    assert any('.merge.' in n for n in changed) and any('.to_q.' in n for n in changed)


def test_loss_rejects_gt_not_multiple_of_vae_and_patch(model):
    with pytest.raises(ValueError, match='multiple of 8'):
        model.loss(torch.rand(1, 3, 15, 15), [SRDataSample(gt_img=torch.rand(3, 60, 60))])


def test_progressive_mask_schedule_and_masking(model):
    assert mask_ratio_at(0, 0.95, 0.25, 100) == pytest.approx(0.95)
    assert mask_ratio_at(50, 0.95, 0.25, 100) == pytest.approx(0.6)
    assert mask_ratio_at(100, 0.95, 0.25, 100) == pytest.approx(0.25)
    assert mask_ratio_at(500, 0.95, 0.25, 100, 'linear') == pytest.approx(0.25)
    assert mask_ratio_at(25, 0.95, 0.25, 100, 'linear') == pytest.approx(0.775)
    assert mask_ratio_at(25, 0.95, 0.25, 100) > mask_ratio_at(25, 0.95, 0.25, 100, 'linear')  # cosine starts slow
    with pytest.raises(ValueError, match='cosine'):
        mask_ratio_at(1, 0.9, 0.1, 10, 'step')
    lr = torch.randn(2, 4, 16, 16)
    with torch.no_grad():
        model.mask_token.fill_(7.0)
        masked = model.mask_lr(lr, 0.25, torch.Generator().manual_seed(0))
        model.mask_token.zero_()
    tokens = (masked == 7.0).all(dim=1).float().view(2, 8, 2, 8, 2).amin(dim=(2, 4))  # (2, 8, 8) patch tokens
    assert tokens.sum(dim=(1, 2)).tolist() == [16.0, 16.0]  # 25 % of the 64 tokens of each sample
    keep = (masked != 7.0).all(dim=1)
    assert torch.equal(masked.permute(0, 2, 3, 1)[keep], lr.permute(0, 2, 3, 1)[keep])


def test_rectified_flow_protocol(model):
    x0, eps = torch.randn(3, 4, 8, 8), torch.randn(3, 4, 8, 8)
    noisy, target = model.noisy_and_target(x0, eps, torch.tensor([0.0, 500.0, 1000.0]))
    assert torch.allclose(noisy[0], x0[0]) and torch.allclose(noisy[2], eps[2])
    assert torch.allclose(noisy[1], 0.5 * (x0[1] + eps[1])) and torch.allclose(target, eps - x0)
    t = model.sample_timesteps(1000, torch.Generator().manual_seed(0))
    assert t.shape == (1000, ) and 0 < t.min() and t.max() < 1000
    assert 700 < t.median() < 800  # logit-normal median u = 0.5, shifted by 3: 3u / (1 + 2u) = 0.75
    assert torch.equal(t, model.sample_timesteps(1000, torch.Generator().manual_seed(0)))


def test_sampling_shape_range_and_determinism(model):
    lq = torch.rand(1, 3, 10, 6, generator=torch.Generator().manual_seed(1))
    out = model.predict(lq)
    pred = out[0].pred_img
    assert pred.shape == (3, 40, 24) and 0 <= pred.min() and pred.max() <= 1
    assert out[0].metainfo['prompt'] == 'a photo'
    assert torch.equal(pred, model.predict(lq)[0].pred_img)
    other = model.sample(lq, ['a completely different prompt'])[0]
    assert not torch.equal(pred, other)


def test_tiled_equals_untiled_when_one_tile_covers(model):
    lq = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    plain = model.sample(lq, ['a photo'])
    model.test_cfg.update(latent_tile=16, latent_tile_overlap=4)  # latent is 16x16: one tile
    try:
        tiled = model.sample(lq, ['a photo'])
    finally:
        model.test_cfg.pop('latent_tile'), model.test_cfg.pop('latent_tile_overlap')
    assert torch.equal(plain, tiled)


def test_blending_is_smooth_where_tiles_disagree():
    calls = []

    def fn(noisy, lr):  # every tile predicts a different constant: hard stitching would jump by 1
        calls.append(1)
        return torch.full_like(noisy, float(len(calls) % 2))

    x = torch.zeros(1, 1, 32, 32)
    out = tiled_denoise(fn, x, x, tile=16, overlap=8, multiple=2)
    assert len(calls) == 9
    assert out.diff(dim=-1).abs().max() < 0.2 and out.diff(dim=-2).abs().max() < 0.2
    with pytest.raises(ValueError, match='overlap < tile'):
        tiled_denoise(fn, x, x, tile=8, overlap=8)


def test_small_tiles_on_a_constant_image(model):
    """A constant image denoised in 8x8 latent tiles (overlap 4): every tile sees the same input, so every tile
    predicts the same field; the blend is, at every latent pixel, a convex combination of the tile predictions covering
    it, and sampling with these tiles gives a finite image of the right size. (Seam smoothness itself is asserted by
    test_blending_is_smooth_where_tiles_disagree: the random DiT's output is not smooth at patch level, so a seam
    measure on it could not tell hard stitching from blending.)"""
    from panguvision.models.sr.tiling import _tile_starts
    lr = model.encode_images(torch.full((1, 3, 96, 96), 0.5))  # latent 24x24
    noisy = lr.mean() + torch.zeros_like(lr)
    t = torch.tensor([500.0])
    seq, pooled = model.encode_text(['a photo'])
    tiles = []

    def fn(x, c):
        tiles.append(model.denoise(x, t, dict(lr_latent=c, prompt_embeds=seq, pooled=pooled)))
        return tiles[-1]

    with torch.no_grad():
        v = tiled_denoise(fn, noisy, lr, tile=8, overlap=4, multiple=model.patch_size)
    assert len(tiles) == 25 and all(torch.allclose(tile, tiles[0], atol=1e-5) for tile in tiles)
    lo, hi = torch.full_like(v, float('inf')), torch.full_like(v, -float('inf'))
    positions = [(a, b) for a in _tile_starts(24, 8, 4) for b in _tile_starts(24, 8, 4)]
    for (top, left), tile in zip(positions, tiles):
        lo[..., top:top + 8, left:left + 8] = torch.minimum(lo[..., top:top + 8, left:left + 8], tile)
        hi[..., top:top + 8, left:left + 8] = torch.maximum(hi[..., top:top + 8, left:left + 8], tile)
    assert (v >= lo - 1e-5).all() and (v <= hi + 1e-5).all()
    assert not torch.allclose(v, tiles[0].repeat(1, 1, 3, 3))  # overlapping tiles were really blended
    model.test_cfg.update(latent_tile=8, latent_tile_overlap=4)
    try:
        out = model.sample(torch.full((1, 3, 24, 24), 0.5), ['a photo'])
    finally:
        model.test_cfg.pop('latent_tile'), model.test_cfg.pop('latent_tile_overlap')
    assert out.shape == (1, 3, 96, 96) and torch.isfinite(out).all()


def test_dspo_wrapper_on_eam_is_log2_at_init(model):
    wrapper = DSPOWrapper(build(), beta=2000.0)
    g = torch.Generator().manual_seed(3)
    masks = torch.zeros(2, 32, 32, dtype=torch.bool)
    masks[0, :, :16] = True
    masks[1, :, 16:] = True
    sample = BaseDataElement(candidates=torch.rand(2, 3, 32, 32, generator=g) * 255, masks=masks,
                             winners=torch.tensor([0, 1]), losers=torch.tensor([1, 0]),
                             weights=torch.tensor([0.5, 0.5]), metainfo=dict(prompt='a photo', feedback='blurry'))
    loss = wrapper([torch.rand(3, 8, 8, generator=g) * 255], [sample], mode='loss')['loss_dspo']
    assert loss.item() == pytest.approx(math.log(2), abs=1e-6)
    loss.backward()  # the policy's LR stream receives the gradient
    assert any(p.grad is not None for n, p in wrapper.policy.named_parameters() if 'lr_streams' in n)


def test_missing_pretrained_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / 'sd3' / 'transformer')):
        EAM(pretrained_path=str(tmp_path / 'sd3'))


def test_prompts_come_from_the_prompter_or_the_override():
    from panguvision.models.sr.eam import SubjectPrompter
    model = build(prompter=dict(type='SubjectPrompter')).eval()
    lq = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(4))
    img = (lq[0] * 255).round().byte().permute(1, 2, 0).numpy()
    sample = model.predict(lq)[0]
    assert sample.metainfo['prompt'] == SubjectPrompter()(img) != 'a photo'
    model.test_cfg['prompt'] = 'a red brick wall'
    assert model.predict(lq)[0].metainfo['prompt'] == 'a red brick wall'


def test_sampler_reaches_the_target_with_an_oracle_velocity(model, monkeypatch):
    """Euler steps of FlowMatchEulerDiscreteScheduler with the exact velocity (x_t - x0) / sigma end at x0: the
    timestep convention (t = 1000 sigma) and the sign of the update are those of training."""
    x0 = torch.randn(1, 4, 16, 16, generator=torch.Generator().manual_seed(5))

    def oracle(noisy, t, condition):
        sigma = (t / 1000).view(-1, 1, 1, 1)
        return (noisy - x0) / sigma

    monkeypatch.setattr(model, 'denoise', oracle)
    out = model.sample(torch.rand(1, 3, 16, 16), ['a photo'], num_steps=4)
    assert torch.allclose(out, model.decode_latents(x0), atol=1e-4)


def test_start_sigma_starts_from_the_noised_lr_latent(model, monkeypatch):
    """start_sigma < 1 (SD3 img2img): the first velocity call sees (1 - sigma) c + sigma eps at the first sampling
    sigma <= start_sigma, only the remaining steps run, and an oracle velocity still lands on the target."""
    lq = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(6))
    lr = model.lr_latent(lq, (64, 64))
    eps = torch.randn(lr.shape, generator=torch.Generator().manual_seed(0))  # test_cfg seed 0
    x0 = torch.randn(lr.shape, generator=torch.Generator().manual_seed(7))
    seen = []

    def oracle(noisy, t, condition):
        seen.append((noisy.clone(), t.clone()))
        return (noisy - x0) / (t / 1000).view(-1, 1, 1, 1)

    monkeypatch.setattr(model, 'denoise', oracle)
    out = model.sample(lq, ['a photo'], num_steps=8, start_sigma=0.5)
    from diffusers import FlowMatchEulerDiscreteScheduler
    scheduler = FlowMatchEulerDiscreteScheduler(shift=model.flow_cfg['shift'])
    scheduler.set_timesteps(8)
    expected = [float(t) for t in scheduler.timesteps if t / 1000 <= 0.5 + 1e-6]
    assert 0 < len(expected) < 8 and [float(t[0]) for _, t in seen] == pytest.approx(expected)
    sigma = seen[0][1][0].item() / 1000
    assert sigma <= 0.5 and torch.allclose(seen[0][0], (1 - sigma) * lr + sigma * eps, atol=1e-5)
    assert torch.allclose(out, model.decode_latents(x0), atol=1e-4)
    seen.clear()
    model.sample(lq, ['a photo'], num_steps=8, start_sigma=1.0)
    assert len(seen) == 8 and torch.allclose(seen[0][0], eps)
    with pytest.raises(ValueError, match='start_sigma'):
        model.sample(lq, ['a photo'], start_sigma=0.0)


def test_seed_none_draws_from_the_global_rng(model):
    lq = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(8))
    model.test_cfg['seed'] = None
    try:
        outs = []
        for seed in (1, 1, 2):
            torch.manual_seed(seed)
            outs.append(model.sample(lq, ['a photo']))
    finally:
        model.test_cfg['seed'] = 0
    assert torch.equal(outs[0], outs[1]) and not torch.equal(outs[0], outs[2])


def test_num_samples_averages_successive_samples(model):
    """test_cfg.num_samples K: the pixel mean of K samples drawn one after the other (posterior-mean estimate)."""
    lq = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(9))
    model.test_cfg['seed'] = None
    try:
        torch.manual_seed(3)
        mean = model.sample(lq, ['a photo'], num_samples=2)
        torch.manual_seed(3)
        first, second = model.sample(lq, ['a photo']), model.sample(lq, ['a photo'])
    finally:
        model.test_cfg['seed'] = 0
    assert not torch.allclose(first, second)
    assert torch.allclose(mean, (first + second) / 2, atol=1e-6) and not torch.allclose(mean, first)
    assert torch.equal(model.sample(lq, ['a photo'], num_samples=1), model.sample(lq, ['a photo']))
    with pytest.raises(ValueError, match='num_samples'):
        model.sample(lq, ['a photo'], num_samples=0)


def test_sigma_range_squeezes_the_training_timesteps():
    default = build()
    g = torch.Generator().manual_seed(0)
    t = default.sample_timesteps(4000, generator=g)
    assert t.min() < 100 and t.max() > 900
    squeezed = build(flow_cfg=dict(shift=1.0, sigma_range=(0.1, 0.4)))
    t = squeezed.sample_timesteps(4000, generator=torch.Generator().manual_seed(0))
    assert 100 <= t.min() < 120 and 380 < t.max() <= 400
    ref = build(flow_cfg=dict(shift=1.0)).sample_timesteps(4000, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(t, 100 + 0.3 * ref, atol=1e-3)  # the same density, mapped linearly
    with pytest.raises(ValueError, match='sigma_range'):
        build(flow_cfg=dict(sigma_range=(0.5, 0.2)))


def test_wavelet_colour_fix_keeps_detail_and_takes_the_reference_colour(model):
    from panguvision.models.sr.eam.eam_model import wavelet_colour_fix
    g = torch.Generator().manual_seed(10)
    detail = torch.rand(1, 3, 64, 64, generator=g) * 0.2
    image = (detail + 0.5).clamp(0, 1)  # detail on a grey level
    reference = torch.full((1, 3, 64, 64), 0.3)  # a flat, darker reference
    fixed = wavelet_colour_fix(image, reference, levels=4)
    assert fixed.mean().item() == pytest.approx(0.3, abs=0.02)
    hp = fixed - fixed.mean()
    assert torch.corrcoef(torch.stack([hp.flatten(), (detail - detail.mean()).flatten()]))[0, 1] > 0.8
    assert torch.equal(wavelet_colour_fix(image, reference, levels=0), image)
    lq = torch.rand(1, 3, 8, 8, generator=g)
    raw = model.sample(lq, ['a photo'])
    model.test_cfg['colour_fix_levels'] = 2
    try:
        out = model.sample(lq, ['a photo'])
    finally:
        model.test_cfg.pop('colour_fix_levels')
    up = torch.nn.functional.interpolate(lq, size=(32, 32), mode='bicubic', align_corners=False).clamp(0, 1)
    assert torch.allclose(out, wavelet_colour_fix(raw, up, 2), atol=1e-6) and not torch.allclose(out, raw)
