"""Learned IQA metrics through pyiqa: local weights only, clear errors."""
import importlib.util

import pytest

from panguvision.evaluation.metrics.iqa_metric import IQA_METRICS
from panguvision.registry import METRICS

HAVE_PYIQA = importlib.util.find_spec('pyiqa') is not None


def test_missing_weight_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'lpips'.*LPIPS_v0.1_alex\.pth"):
        METRICS.build(dict(type='PyIQAMetric', metric_name='lpips', weights=str(tmp_path / 'LPIPS_v0.1_alex.pth')))
    present = tmp_path / 'a.pth'
    present.write_bytes(b'')
    with pytest.raises(FileNotFoundError, match='backbone.pth'):
        METRICS.build(dict(type='PyIQAMetric', metric_name='dists',
                           weights=[str(present), str(tmp_path / 'backbone.pth')]))


@pytest.mark.skipif(HAVE_PYIQA, reason='pyiqa is installed')
def test_without_pyiqa_the_error_says_what_to_install(tmp_path):
    weights = tmp_path / 'musiq.pth'
    weights.write_bytes(b'')
    with pytest.raises(ImportError, match='pip install pyiqa'):
        METRICS.build(dict(type='PyIQAMetric', metric_name='musiq', weights=str(weights)))


def test_the_papers_metrics_are_listed():
    assert set(IQA_METRICS) == {'lpips', 'dists', 'musiq', 'clipiqa', 'maniqa'}
    assert IQA_METRICS['lpips'] == (True, True) and IQA_METRICS['musiq'] == (False, False)


@pytest.mark.skipif(not HAVE_PYIQA, reason='pyiqa is not installed')
def test_no_reference_metric_from_a_local_weight_file(tmp_path):
    """MUSIQ with random weights saved to a local file: the metric loads that file (no download) and scores."""
    import torch
    from pyiqa.archs.musiq_arch import MUSIQ
    torch.manual_seed(0)
    weights = tmp_path / 'musiq_random.pth'
    torch.save(MUSIQ(pretrained=False).state_dict(), weights)
    metric = METRICS.build(dict(type='PyIQAMetric', metric_name='musiq', weights=str(weights), device='cpu'))
    assert not metric.full_reference
    g = torch.Generator().manual_seed(0)
    samples = [dict(img_id='noise', pred_img=torch.rand(3, 96, 128, generator=g)),
               dict(img_id='flat', pred_img=torch.full((3, 96, 128), 0.5))]
    metric.process({}, samples)
    assert len(metric.results) == 2 and metric.results[0] != metric.results[1]
    result = metric.compute_metrics(metric.results)
    assert set(result) == {'MUSIQ'} and result['MUSIQ'] == pytest.approx(sum(metric.results) / 2)


@pytest.mark.skipif(not HAVE_PYIQA, reason='pyiqa is not installed')
def test_full_reference_metric_with_local_backbone_cache(tmp_path, monkeypatch):
    """LPIPS with random weights: its AlexNet backbone comes from a pre-filled torch hub cache, its heads from a local
    file; identical images score 0, different ones more."""
    import torch
    import torchvision
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    checkpoints = tmp_path / 'torch' / 'hub' / 'checkpoints'
    checkpoints.mkdir(parents=True)
    torch.manual_seed(0)
    url = torchvision.models.AlexNet_Weights.IMAGENET1K_V1.url
    torch.save(torchvision.models.alexnet().state_dict(), checkpoints / url.split('/')[-1])
    from pyiqa.archs.lpips_arch import LPIPS
    weights = tmp_path / 'lpips_random.pth'
    torch.save(LPIPS(pretrained=False).state_dict(), weights)
    metric = METRICS.build(dict(type='PyIQAMetric', metric_name='lpips', weights=str(weights), device='cpu'))
    assert metric.full_reference
    g = torch.Generator().manual_seed(0)
    gt = torch.rand(3, 64, 64, generator=g)
    metric.process({}, [dict(img_id='same', pred_img=gt, gt_img=gt),
                        dict(img_id='other', pred_img=torch.rand(3, 64, 64, generator=g), gt_img=gt)])
    assert metric.results[0] == pytest.approx(0.0, abs=1e-6) and metric.results[1] > 1e-4
    with pytest.raises(KeyError, match='full-reference'):
        metric.process({}, [dict(img_id='no_gt', pred_img=gt)])
