"""The NIQE metric class through mmengine's Evaluator interface."""
import numpy as np
import pytest
import torch

from panguvision.datasets.sr_dataset import _skimage_photo
from panguvision.evaluation.functional.niqe import fit_niqe_model, niqe
from panguvision.registry import METRICS


@pytest.fixture(scope='module')
def params_file(tmp_path_factory):
    mu, cov = fit_niqe_model(_skimage_photo(name) for name in ('astronaut', 'camera'))
    path = tmp_path_factory.mktemp('niqe') / 'pristine.npz'
    np.savez(path, mu_pris_param=mu, cov_pris_param=cov)
    return str(path), (mu, cov)


def test_niqe_metric_averages_the_functional_score(params_file):
    path, params = params_file
    metric = METRICS.build(dict(type='NIQE', params_file=path, crop_border=4))
    images = [_skimage_photo(name)[:200, :300] for name in ('chelsea', 'rocket')]
    samples = [dict(img_id=str(i), pred_img=torch.from_numpy(img).permute(2, 0, 1).float() / 255)
               for i, img in enumerate(images)]
    metric.process({}, samples)
    result = metric.compute_metrics(metric.results)
    expected = np.mean([niqe(img.astype(np.float64), params, crop_border=4) for img in images])
    assert result == {'NIQE': pytest.approx(expected, rel=1e-9)}


def test_niqe_metric_errors(params_file, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.npz'):
        METRICS.build(dict(type='NIQE', params_file=str(tmp_path / 'missing.npz')))
    metric = METRICS.build(dict(type='NIQE', params_file=params_file[0], image_key='gt_img'))
    with pytest.raises(KeyError, match="no 'gt_img'"):
        metric.process({}, [dict(img_id='a', pred_img=torch.zeros(3, 100, 100))])
