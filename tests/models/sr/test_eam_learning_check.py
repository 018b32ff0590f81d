"""tools/misc/eam_learning_check.py helpers: the sampler grid with averaged samples, the selection's tie-breaking and
the VAE / base checkpoint that --reuse loads."""
import importlib.util
from pathlib import Path

import pytest
import torch

pytest.importorskip('diffusers', reason='EAM builds on diffusers')

from panguvision.models.sr.eam import EAM, tiny_sd3_config, tiny_vae_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


def _check():
    spec = importlib.util.spec_from_file_location('eam_learning_check', ROOT / 'tools/misc/eam_learning_check.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _model(seed):
    torch.manual_seed(seed)
    return EAM(transformer=dict(type='PsiDiT', base=tiny_sd3_config()), vae=tiny_vae_config(),
               flow_cfg=dict(shift=1.0))


def test_grid_keys_and_selection():
    check = _check()
    settings = check.sampler_settings(_model(0), [1, 3], [1.0, 0.6], [1, 4])
    # one step: only from pure noise; three steps (sigmas 1, 0.5, 0.001): also from 0.6 (starts at 0.5)
    assert settings == [(1, 1.0, 1), (1, 1.0, 4), (3, 1.0, 1), (3, 1.0, 4), (3, 0.6, 1), (3, 0.6, 4)]
    # 3 steps from 0.4 and from 0.2 both run only 0.001 -> 0: kept once, as from 0.4
    assert check.sampler_settings(_model(0), [3], [0.4, 0.2], [1]) == [(3, 0.4, 1)]
    assert check.setting_key(3, 0.6, 1) == '3steps@0.6' and check.setting_key(3, 0.6, 4) == '3steps@0.6x4'
    means = {f'eam_psnr@{check.setting_key(*s)}': 20.0 for s in settings}
    assert check.select_setting(means, settings) == (1, 1.0, 1)  # ties: fewer samples, then fewer steps
    means['eam_psnr@3steps@0.6x4'] = 20.5
    assert check.select_setting(means, settings) == (3, 0.6, 4)
    assert check.setting_key(3, 0.6, 4, 5) == '3steps@0.6x4+cf5' and check.setting_key(3, 0.6, 1, 0) == '3steps@0.6'
    means['eam_psnr@3steps@0.6x4+cf5'] = 20.5  # a tie with the unfixed output: no colour fix
    assert check.select_setting(means, [(3, 0.6, 4, 0), (3, 0.6, 4, 5)]) == (3, 0.6, 4, 0)
    means['eam_psnr@3steps@0.6x4+cf5'] = 21.0
    assert check.select_setting(means, [(3, 0.6, 4, 0), (3, 0.6, 4, 5)]) == (3, 0.6, 4, 5)


def test_stages_round_trip(tmp_path):
    check = _check()
    trained, fresh = _model(0), _model(1)
    trained.vae.register_to_config(scaling_factor=0.7, shift_factor=0.1)
    check.save_stages(trained, tmp_path / 'stages.pth')
    assert not torch.equal(fresh.generator.base.proj_out.weight, trained.generator.base.proj_out.weight)
    check.load_stages(fresh, tmp_path / 'stages.pth')
    for a, b in ((trained.vae, fresh.vae), (trained.generator.base, fresh.generator.base)):
        sa, sb = a.state_dict(), b.state_dict()
        assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    assert fresh.vae.config.scaling_factor == 0.7 and fresh.vae.config.shift_factor == 0.1
    x = torch.rand(1, 3, 32, 32)
    assert torch.equal(fresh.encode_images(x), trained.encode_images(x))


@pytest.mark.parametrize('lq_frac', [0.0, 1.0])
def test_vae_trains_on_hr_or_bicubic_lq_crops(lq_frac, monkeypatch):
    """--vae-lq-frac: the VAE's training image is the HR crop (0) or the bicubic-upsampled LQ crop (1), in [-1, 1]."""
    import torch.nn.functional as F

    from panguvision.structures import SRDataSample
    check, model = _check(), _model(0)
    g = torch.Generator().manual_seed(0)
    lq, gt = torch.rand(2, 3, 16, 16, generator=g), torch.rand(2, 3, 64, 64, generator=g)

    def data():
        while True:
            yield dict(inputs=list(lq * 255), data_samples=[SRDataSample(gt_img=x * 255) for x in gt])

    seen, encode = [], model.vae.encode
    monkeypatch.setattr(model.vae, 'encode', lambda x: seen.append(x.detach().clone()) or encode(x))
    check.train_vae(model, data(), 1, lambda msg: None, colour_aug=False, lq_frac=lq_frac)
    up = F.interpolate(lq, size=(64, 64), mode='bicubic', align_corners=False).clamp(0, 1)
    expected = (up if lq_frac else gt) * 2 - 1
    assert torch.allclose(seen[0], expected, atol=1e-5)
