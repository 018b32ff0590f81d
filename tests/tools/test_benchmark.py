"""tools/analysis_tools/benchmark.py: inference and train mode on tiny configs, JSON contents, input builders."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCHMARK = 'tools/analysis_tools/benchmark.py'
FAST = ['--input-size', 12, 16, '--warmup', 1, '--repeat', 2, '--threads', 1, '--matmul-size', 128, '--device', 'cpu']

TINY_LOSS = '''
from torch import nn
from panguvision.registry import MODELS


@MODELS.register_module()
class TinyBenchL1Loss(nn.L1Loss):
    """L1 loss registered by the test (mmdet's is not needed to time a train step)."""
'''


def load_benchmark_module():
    spec = importlib.util.spec_from_file_location('benchmark_tool', REPO_ROOT / BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_result(path: Path, mode: str) -> dict:
    result = json.loads(path.read_text())
    assert result['mode'] == mode and result['device'] == 'cpu' and result['threads'] == 1
    assert 0 < result['latency_ms']['min'] <= result['latency_ms']['median']
    assert result['latency_ms']['mean'] > 0
    assert result['throughput_img_s'] > 0
    assert result['matmul']['gflops'] > 0 and result['matmul']['size'] == 128
    assert result['memory']['host_rss_peak_delta_mib'] >= 0
    return result


def test_inference_bicubic(run_tool, tmp_path):
    cfg = tmp_path / 'bicubic_tiny.py'
    cfg.write_text(f"_base_ = ['{REPO_ROOT}/configs/bicubic/bicubic_x4_set5.py']\n")
    out = tmp_path / 'res' / 'bench.json'
    proc = run_tool(BENCHMARK, cfg, *FAST, '--batch-size', 2, '--out', out)
    result = check_result(out, 'inference')
    assert result['output_size'] == [48, 64] and result['batch_size'] == 2
    assert 'GFLOP/s' in proc.stdout and 'latency' in proc.stdout


def test_train_tiny_hitsrf(run_tool, tmp_path, monkeypatch):
    (tmp_path / 'tiny_bench_loss.py').write_text(TINY_LOSS)
    cfg = tmp_path / 'hit_srf_tiny.py'
    cfg.write_text(f"_base_ = ['{REPO_ROOT}/configs/hit_sr/hit_srf_x4_div2k.py']\n"
                   "custom_imports = dict(imports=['panguvision.engine', 'tiny_bench_loss'])\n"
                   "model = dict(generator=dict(embed_dim=8, depths=[1], num_heads=[1]),\n"
                   "             pixel_loss=dict(_delete_=True, type='TinyBenchL1Loss'))\n")
    out = tmp_path / 'train.json'
    # custom_imports finds tiny_bench_loss through PYTHONPATH (run_tool keeps the variable and adds the repository).
    monkeypatch.setenv('PYTHONPATH', str(tmp_path))
    run_tool(BENCHMARK, cfg, *FAST, '--mode', 'train', '--out', out)
    result = check_result(out, 'train')
    assert result['output_size'] == [48, 64]


def test_train_needs_optim_wrapper(run_tool, tmp_path):
    proc = run_tool(BENCHMARK, REPO_ROOT / 'configs/bicubic/bicubic_x4_set5.py', *FAST, '--mode', 'train',
                    check=False)
    assert proc.returncode != 0 and 'optim_wrapper' in proc.stderr


def test_sr_batch_builder_and_unsupported_model():
    bench = load_benchmark_module()
    from panguvision.models.sr import BicubicUpsampler, SRModel
    model = SRModel(generator=BicubicUpsampler(upscale=3))
    assert bench.model_task(model) == 'sr'
    batch = bench.BATCH_BUILDERS['sr'](model, 2, (5, 7), torch.Generator().manual_seed(0))
    assert [tuple(t.shape) for t in batch['inputs']] == [(3, 5, 7)] * 2
    sample = batch['data_samples'][0]
    assert tuple(sample.gt_img.shape) == (3, 15, 21) and sample.metainfo['scale'] == 3
    assert 0 <= float(batch['inputs'][0].min()) and float(batch['inputs'][0].max()) <= 255
    with pytest.raises(NotImplementedError, match='Linear'):
        bench.model_task(torch.nn.Linear(2, 2))
