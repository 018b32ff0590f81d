"""The suite on a CUDA device through mmengine's device layer: training and testing with the real Runner (fp32 and
AMP), and CPU/CUDA agreement of the networks. Every test here needs a CUDA device and is skipped without one."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.registry import init_default_scope

from panguvision.registry import MODELS

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')]


@pytest.fixture(autouse=True)
def exact_fp32():
    """TF32 would round matmuls and convolutions to 10 mantissa bits: compare true fp32 on both devices."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def _perturbed(model, std=0.05):
    torch.manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * std)
    return model.eval()


@pytest.mark.parametrize('amp', [False, True])
def test_runner_trains_and_tests_hit_srf_on_cuda(tmp_path, amp):
    """mmengine picks the device itself (``get_device``); nothing in the config names CUDA."""
    from mmengine.runner import Runner
    assert get_device() == 'cuda'
    cfg = Config.fromfile(str(REPO / 'tests' / 'configs' / 'tiny_hit_srf_x2.py'))
    cfg.work_dir = str(tmp_path)
    for loader in ('train_dataloader', 'test_dataloader'):
        cfg[loader].dataset.cache_dir = str(REPO / 'data' / 'builtin_photos')
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    runner = Runner.from_cfg(cfg)
    before = copy.deepcopy(runner.model.state_dict())
    runner.train()
    params = dict(runner.model.named_parameters())
    assert all(p.device.type == 'cuda' for p in params.values())
    changed = [k for k, v in runner.model.state_dict().items() if not torch.equal(v, before[k])]
    assert changed, 'no weight changed in 6 training iterations'
    assert all(torch.isfinite(p).all() for p in params.values())
    assert (tmp_path / 'iter_6.pth').is_file()
    metrics = runner.test()
    assert 10.0 < metrics['PSNR'] < 60.0 and 0.0 < metrics['SSIM'] <= 1.0


def test_hit_srf_x4_cuda_matches_cpu():
    """The full released HiT-SRF x4 (866,420 parameters) gives the same output on both devices."""
    from panguvision.models.sr.hit_sr import HiTSRF
    torch.manual_seed(0)
    model = _perturbed(HiTSRF(upscale=4))
    x = torch.rand(1, 3, 37, 45)
    with torch.no_grad():
        cpu = model(x)
        cuda = model.cuda()(x.cuda()).cpu()
    assert cpu.shape == (1, 3, 148, 180)
    torch.testing.assert_close(cuda, cpu, atol=2e-4, rtol=1e-4)


def test_unidepth_cuda_matches_cpu():
    init_default_scope('panguvision')
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='UniDepthV1',
        backbone=dict(type='TimmViTEncoder', embed_dim=32, depth=2, num_heads=2, patch_size=8, img_size=32,
                      out_indices=(0, 1)),
        decoder=dict(dim=32, num_heads=2, depths=(1, 1, 1), camera_depth=1, sh_degree=4, expansion=2,
                     depth_init=3.0))).eval()
    batch = model.benchmark_batch(1, (37, 53), torch.Generator().manual_seed(1))
    with torch.no_grad():
        cpu = model.test_step(copy.deepcopy(batch))[0]
        cuda = model.cuda().test_step(batch)[0]
    torch.testing.assert_close(cuda.pred_depth.cpu(), cpu.pred_depth, atol=1e-3, rtol=1e-3)
    assert (cpu.pred_depth > 0).all()


def test_igtr_kv_cache_sampling_on_cuda_equals_recomputation_and_cpu():
    from panguvision.models.generation import IGTRTransformer, generate_tokens
    torch.manual_seed(0)
    model = IGTRTransformer(vocab_size=20, grid_size=(3, 4), dim=32, depth=2, num_heads=4, num_classes=3,
                            multiple_of=16, num_prefix_slots=3, prefix_vocab_size=9).eval()
    for p in model.parameters():
        torch.nn.init.normal_(p, std=0.3)
    cond = torch.tensor([0, 1, 2])
    prefix = torch.tensor([[1, -1, 4], [-1, -1, -1], [2, 3, 5]])
    kwargs = dict(cond=cond, prefix=prefix, cfg_scale=2.5, temperature=0.0, return_logits=True)
    cpu = generate_tokens(model, use_kv_cache=True, **kwargs)
    model.cuda()
    kwargs.update(cond=cond.cuda(), prefix=prefix.cuda())
    cached = generate_tokens(model, use_kv_cache=True, **kwargs)
    full = generate_tokens(model, use_kv_cache=False, **kwargs)
    assert cached['tokens'].device.type == 'cuda'
    assert torch.equal(cached['tokens'], full['tokens'])
    torch.testing.assert_close(cached['logits'], full['logits'], atol=1e-4, rtol=1e-4)
    assert torch.equal(cached['tokens'].cpu(), cpu['tokens'])
