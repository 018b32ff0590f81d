"""DSPOWrapper: equals the reference at init (loss log 2), trains through mmengine's Runner on a written preference
dataset, the aligned weights load strictly into the plain model, and models without the protocol are refused."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from panguvision.apis.preference_data import MetricJudge, write_preference_dataset
from panguvision.datasets.preference_dataset import PreferenceDataset
from panguvision.models.sr.dspo import DSPOWrapper, masked_denoising_errors, masks_to_latent


class TinyFlowSR(nn.Module):
    """A pixel-space flow-matching SR denoiser (the protocol at its smallest): x_t = (1 - t) x + t eps, target
    eps - x, conditioned on the bicubic-upsampled LQ image."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(7, 16, 3, padding=1), nn.SiLU(), nn.Conv2d(16, 3, 3, padding=1))

    def encode_images(self, images):
        return images * 2 - 1

    def encode_condition(self, lq, prompt, negative_prompt):
        return lq * 2 - 1

    def sample_timesteps(self, n, generator):
        return torch.rand(n, generator=generator)

    def noisy_and_target(self, latents, noise, t):
        t = t.view(-1, 1, 1, 1)
        return (1 - t) * latents + t * noise, noise - latents

    def denoise(self, noisy, t, condition):
        cond = F.interpolate(condition, size=noisy.shape[-2:], mode='bicubic', align_corners=False)
        cond = cond.expand(noisy.shape[0], -1, -1, -1)
        tmap = t.view(-1, 1, 1, 1).expand(-1, 1, *noisy.shape[-2:])
        return self.net(torch.cat([noisy, cond, tmap], 1))


def halves(image):
    h, w = image.shape[:2]
    left = np.zeros((h, w), bool)
    left[:, :w // 2] = True
    return [dict(segmentation=left, area=int(left.sum())), dict(segmentation=~left, area=int((~left).sum()))]


@pytest.fixture
def preference_file(tmp_path):
    rng = np.random.default_rng(0)
    items = []
    for i in range(2):
        gt = rng.integers(0, 256, (16, 16, 3)).astype(np.uint8)
        items.append(dict(name=f'img{i}', lq=gt[::2, ::2].copy(), gt=gt, feedback='a blurry face'))
    noisy = {s: rng.normal(0, s, (16, 16, 3)) for s in (5, 60)}

    def sample(lq, seed):  # candidate 0 close to GT on the left, candidate 1 on the right
        gt = next(item['gt'] for item in items if item['lq'] is lq)
        good, bad = (noisy[5], noisy[60]) if seed == 0 else (noisy[60], noisy[5])
        out = gt + np.where(np.arange(16)[None, :, None] < 8, good, bad)
        return np.clip(out, 0, 255).astype(np.uint8)

    return write_preference_dataset(str(tmp_path / 'prefs'), items, sample, num_samples=2, judge=MetricJudge('psnr'),
                                    mask_generator=halves, min_area=1)


def test_dataset_items(preference_file):
    dataset = PreferenceDataset(ann_file=preference_file)
    item = dataset[0]
    sample = item['data_samples']
    assert item['inputs'].shape == (3, 8, 8) and sample.candidates.shape == (2, 3, 16, 16)
    assert sample.masks.shape == (2, 16, 16) and sample.masks.dtype == torch.bool
    for mask, winner, loser in zip(sample.masks, sample.winners, sample.losers):
        left = bool(mask[:, 0].all())  # candidate 0 is the good one on the left half, candidate 1 on the right
        assert (winner.item(), loser.item()) == ((0, 1) if left else (1, 0))
    assert sample.metainfo['feedback'] == 'a blurry face'


def test_loss_is_log2_at_init_and_training_prefers_winners(preference_file, tmp_path):
    from mmengine.runner import Runner
    torch.manual_seed(0)
    plain = TinyFlowSR()
    wrapper = DSPOWrapper(plain, beta=50.0)
    dataset = PreferenceDataset(ann_file=preference_file)
    batch = wrapper.data_preprocessor(dict(inputs=[dataset[0]['inputs']], data_samples=[dataset[0]['data_samples']]))
    assert wrapper(**batch, mode='loss')['loss_dspo'].item() == pytest.approx(math.log(2), abs=1e-6)

    def margin(model):
        """Mean over instances of (policy - reference) error of the winner minus that of the loser, fixed noise."""
        g = torch.Generator().manual_seed(1)
        margins = []
        for item in dataset:
            s = item['data_samples']
            x = model.policy.encode_images(s.candidates / 255.0)
            noise = torch.randn(x.shape[1:], generator=g).expand_as(x)
            t = torch.full((x.shape[0], ), 0.5)
            cond = model.policy.encode_condition(item['inputs'][None] / 255.0, '', None)
            masks = masks_to_latent(s.masks, x.shape[-2:])
            errs = []
            for net in (model.policy, model.reference):
                noisy, target = net.noisy_and_target(x, noise, t)
                errs.append(masked_denoising_errors(net.denoise(noisy, t, cond), target, masks))
            diff = errs[0] - errs[1]
            cols = torch.arange(diff.shape[1])
            margins.append((diff[s.winners, cols] - diff[s.losers, cols]).mean())
        return torch.stack(margins).mean().item()

    assert margin(wrapper) == pytest.approx(0.0, abs=1e-7)
    runner = Runner(
        model=wrapper, work_dir=str(tmp_path / 'work'),
        train_dataloader=dict(dataset=dataset, batch_size=2, sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=False, max_iters=30), optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=20),
                           checkpoint=dict(type='CheckpointHook', interval=1000)),
        randomness=dict(seed=0), default_scope='panguvision')
    runner.train()
    with torch.no_grad():
        assert margin(wrapper) < 0  # the policy now denoises winners better than losers, relative to the reference
    fresh = TinyFlowSR()
    fresh.load_state_dict(wrapper.aligned_state_dict(), strict=True)
    for key, value in fresh.state_dict().items():
        torch.testing.assert_close(value, wrapper.policy.state_dict()[key])
    assert not torch.equal(fresh.net[0].weight, wrapper.reference.net[0].weight)  # it did move


def test_model_without_protocol_is_refused():
    with pytest.raises(TypeError, match='encode_images'):
        DSPOWrapper(nn.Linear(2, 2))


def test_timestep_range_replaces_the_training_density(monkeypatch):
    seen = []
    wrapper = DSPOWrapper(TinyFlowSR(), timestep_range=(0.0, 0.3))
    monkeypatch.setattr(wrapper.policy, 'sample_timesteps', lambda n, g: pytest.fail('training density was used'))
    torch.manual_seed(0)
    for _ in range(200):
        seen.append(wrapper._timestep().item())
    assert 0.0 <= min(seen) and max(seen) < 0.3 and max(seen) > 0.25  # uniform over the range
    default = DSPOWrapper(TinyFlowSR())
    monkeypatch.setattr(default.policy, 'sample_timesteps', lambda n, g: torch.full((n, ), 0.75))
    assert default._timestep().item() == 0.75
    for bad in ((0.5, 0.5), (-1.0, 0.2)):
        with pytest.raises(ValueError, match='timestep_range'):
            DSPOWrapper(TinyFlowSR(), timestep_range=bad)
