"""GenerationMetric on hand-made images and NLL values."""
import math

import numpy as np
import pytest
import torch

from panguvision.datasets.synthetic_shapes import SHAPE_COLORS, draw_shape
from panguvision.evaluation.metrics import GenerationMetric


def _tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img).permute(2, 0, 1).float() / 255


def test_prompt_consistency_and_shape_on_hand_made_images():
    red_circle_top_left = draw_shape(24, 'circle', SHAPE_COLORS['red'], SHAPE_COLORS['black'], cy=4, cx=4, half=3)
    big_blue_square_bottom_right = draw_shape(24, 'square', SHAPE_COLORS['blue'], SHAPE_COLORS['white'], cy=17, cx=17,
                                              half=6)
    request = dict(fg_color='red', bg_color='black', vertical='top', horizontal='left', size='small')
    metric = GenerationMetric()
    metric.process(None, [
        dict(pred_img=_tensor(red_circle_top_left), request=request, class_name='circle'),  # all 5 right
        dict(pred_img=_tensor(big_blue_square_bottom_right), request=request, class_name='triangle'),  # all wrong
        dict(pred_img=_tensor(big_blue_square_bottom_right), request=dict(fg_color='blue', vertical=None),
             class_name='square'),  # 1 of 1 requested slot right
    ])
    result = metric.compute_metrics(metric.results)
    assert result['consistency'] == pytest.approx(6 / 11)
    assert result['consistency/fg_color'] == pytest.approx(2 / 3)
    assert result['consistency/size'] == pytest.approx(0.5)
    assert result['consistency/vertical'] == pytest.approx(0.5)  # the None request is not scored
    assert result['shape_acc'] == pytest.approx(2 / 3)
    assert 'token_nll' not in result


def test_token_nll_aggregation():
    metric = GenerationMetric()
    metric.process(None, [dict(token_nll=2.0, prefix_nll=1.0, num_tokens=36),
                          dict(token_nll=4.0, prefix_nll=3.0, num_tokens=36)])
    result = metric.compute_metrics(metric.results)
    assert result['token_nll'] == pytest.approx(3.0)
    assert result['token_bpt'] == pytest.approx(3.0 / math.log(2))
    assert result['joint_nll_bits'] == pytest.approx(((2 * 36 + 1) + (4 * 36 + 3)) / 2 / math.log(2))
    assert 'consistency' not in result
