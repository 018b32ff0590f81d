"""UniDepth through tools/train.py and tools/test.py (tiny model, synthetic rooms), tools/test.py with DepthMetric on
the UniDepth demo sample, and benchmark.py on a 480x640 input."""
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'tests/configs/tiny_unidepth.py'
DEPTH_KEYS = ('d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10', 'silog')


def _run(args, timeout=900):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def _metrics(work_dir: Path) -> dict:
    logs = sorted(glob.glob(str(work_dir / '*' / '*.json')))
    assert logs, f'no metrics json under {work_dir}'
    return json.loads(Path(logs[-1]).read_text().strip().splitlines()[-1])


@pytest.mark.slow
def test_train_three_iterations_then_test(tmp_path):
    data = [f'train_dataloader.dataset.data_root={tmp_path / "train_data"}',
            f'test_dataloader.dataset.data_root={tmp_path / "test_data"}']
    train = _run(['tools/train.py', CONFIG, '--work-dir', str(tmp_path / 'work'), '--cfg-options', *data])
    assert train.returncode == 0, train.stderr[-3000:]
    log = train.stdout + train.stderr
    for key in ('loss_silog', 'loss_camera', 'loss_invariance'):
        assert key in log, key
    checkpoint = (tmp_path / 'work' / 'last_checkpoint').read_text().strip()
    assert checkpoint.endswith('iter_3.pth')
    test = _run(['tools/test.py', CONFIG, checkpoint, '--work-dir', str(tmp_path / 'test'), '--cfg-options', *data])
    assert test.returncode == 0, test.stderr[-3000:]
    metrics = _metrics(tmp_path / 'test')
    assert all(key in metrics for key in DEPTH_KEYS)
    assert 0 <= metrics['d1'] <= 1 and metrics['abs_rel'] > 0 and metrics['rmse'] > 0


@pytest.mark.slow
@pytest.mark.data
def test_test_tool_evaluates_the_unidepth_demo_sample(shared_data, tmp_path):
    root = shared_data / 'depth' / 'unidepth_demo'
    if not (root / 'rgb.png').is_file():
        pytest.skip(f'UniDepth demo sample absent under {root}')
    run = _run(['tools/test.py', 'tests/configs/tiny_unidepth_demo.py', '--work-dir', str(tmp_path), '--cfg-options',
                f'test_dataloader.dataset.data_root={root}'])
    assert run.returncode == 0, run.stderr[-3000:]
    metrics = _metrics(tmp_path)
    assert all(key in metrics for key in DEPTH_KEYS)
    # random weights: the numbers are whatever they are, but they are computed against the real ground truth
    assert 0 <= metrics['d1'] <= 1 and metrics['abs_rel'] > 0 and metrics['silog'] > 0


@pytest.mark.slow
def test_benchmark_runs_at_480x640(tmp_path):
    out = tmp_path / 'bench.json'
    run = _run(['tools/analysis_tools/benchmark.py', CONFIG, '--input-size', '480', '640', '--warmup', '0',
                '--repeat', '1', '--threads', '1', '--matmul-size', '256', '--out', str(out), '--device', 'cpu'])
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result['input_size'] == [480, 640] and result['latency_ms']['median'] > 0
