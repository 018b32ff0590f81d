"""PSNR / SSIM metric classes through the registry, process() and compute_metrics()."""
import math

import numpy as np
import pytest
import torch

from panguvision.evaluation.functional import psnr, ssim
from panguvision.registry import METRICS
from panguvision.utils.image_io import tensor_to_image


def _sample(pred: torch.Tensor, gt: torch.Tensor, scale: int = 2, img_id: str = 'x') -> dict:
    """A data sample as mmengine's Evaluator hands it over (``SRDataSample.to_dict()``)."""
    return dict(pred_img=pred, gt_img=gt, scale=scale, img_id=img_id, lq_shape=(gt.shape[1] // scale,) * 2)


def test_tensor_to_image_quantises_like_basicsr():
    t = torch.tensor([0.0, 0.4 / 255, 1.45 / 255, 1.55 / 255, 1.2, -0.1]).reshape(3, 1, 2)
    img = tensor_to_image(t, dtype=np.float64)  # what the metrics measure
    assert img.shape == (1, 2, 3) and img.dtype == np.float64
    np.testing.assert_array_equal(tensor_to_image(t), img.astype(np.uint8))  # what is saved and shown
    np.testing.assert_array_equal(img[0, :, 0], [0, 0])
    np.testing.assert_array_equal(img[0, :, 1], [1, 2])
    np.testing.assert_array_equal(img[0, :, 2], [255, 0])


def test_psnr_metric_hand_computed():
    metric = METRICS.build(dict(type='PSNR', crop_border=0, test_y_channel=False))
    gt = torch.zeros(3, 4, 4)
    pred = gt.clone()
    pred[:, 1, 2] = 10 / 255  # one pixel off by 10 levels in every channel: MSE = 6.25
    metric.process({}, [_sample(pred, gt, img_id='a')])
    pred2 = gt.clone()
    pred2[:, 0, 0] = 20 / 255  # MSE = 3 * 400 / 48 = 25
    metric.process({}, [_sample(pred2, gt, img_id='b')])
    result = metric.compute_metrics(metric.results)
    expected = (10 * math.log10(255 ** 2 / 6.25) + 10 * math.log10(255 ** 2 / 25)) / 2
    assert set(result) == {'PSNR'}
    assert result['PSNR'] == pytest.approx(expected, abs=1e-9)


def test_metrics_use_sample_scale_as_crop_border_by_default():
    gt = torch.rand(3, 32, 32)
    pred = gt.clone()
    pred[:, :3, :] = 1 - pred[:, :3, :]  # damage the top 3 rows only
    metric = METRICS.build(dict(type='PSNR'))
    metric.process({}, [_sample(pred, gt, scale=3)])
    assert metric.compute_metrics(metric.results)['PSNR'] == float('inf')  # crop_border = 3 removes the damage
    metric = METRICS.build(dict(type='PSNR'))
    metric.process({}, [_sample(pred, gt, scale=2)])
    assert metric.compute_metrics(metric.results)['PSNR'] < 40
    metric = METRICS.build(dict(type='PSNR', crop_border=None))
    with pytest.raises(KeyError, match='scale'):
        metric.process({}, [dict(pred_img=pred, gt_img=gt, img_id='y')])


def test_metrics_agree_with_functional_on_quantised_images():
    rng = torch.Generator().manual_seed(0)
    samples = [_sample(torch.rand(3, 24, 20, generator=rng), torch.rand(3, 24, 20, generator=rng), img_id=str(i))
               for i in range(3)]
    for name, fn in (('PSNR', psnr), ('SSIM', ssim)):
        metric = METRICS.build(dict(type=name))
        metric.process({}, samples[:2])
        metric.process({}, samples[2:])
        expected = np.mean([
            fn(np.round(s['pred_img'].permute(1, 2, 0).double().numpy() * 255),
               np.round(s['gt_img'].permute(1, 2, 0).double().numpy() * 255), crop_border=2, test_y_channel=True)
            for s in samples
        ])
        assert metric.compute_metrics(metric.results)[name] == pytest.approx(expected, abs=1e-12)


def test_ssim_metric_identical_and_constant_images():
    gt = torch.full((3, 16, 16), 100 / 255)
    metric = METRICS.build(dict(type='SSIM', crop_border=0, test_y_channel=False))
    metric.process({}, [_sample(gt.clone(), gt)])
    metric.process({}, [_sample(torch.full((3, 16, 16), 110 / 255), gt)])
    c1 = (0.01 * 255) ** 2
    expected = (1 + (2 * 100 * 110 + c1) / (100 ** 2 + 110 ** 2 + c1)) / 2
    assert metric.compute_metrics(metric.results) == {'SSIM': pytest.approx(expected, abs=1e-12)}


def test_evaluator_prefix():
    from mmengine.evaluator import Evaluator

    from panguvision.structures import SRDataSample
    evaluator = Evaluator([METRICS.build(dict(type='PSNR', prefix='sr'))])
    sample = SRDataSample(metainfo=dict(scale=2, img_id='z'))
    sample.gt_img = torch.zeros(3, 8, 8)
    sample.pred_img = torch.zeros(3, 8, 8)
    evaluator.process([sample])
    assert evaluator.evaluate(1) == {'sr/PSNR': float('inf')}
