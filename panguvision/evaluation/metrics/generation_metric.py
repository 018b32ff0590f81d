"""Token NLL and prompt consistency of autoregressive image generators (IGTR)."""
import math
from collections import defaultdict
from typing import Any, Dict, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from panguvision.registry import METRICS, TASK_UTILS
from panguvision.utils.image_io import tensor_to_image

__all__ = ['GenerationMetric']

SLOTS = ('fg_color', 'bg_color', 'vertical', 'horizontal', 'size')


@METRICS.register_module()
class GenerationMetric(BaseMetric):
    """Average token NLL of held-out images and prompt consistency of generated ones.

    ``process`` reads data samples (dicts) with any of:

    - ``token_nll`` (nats per image token, teacher-forced) and ``prefix_nll`` (nats per image, the reasoning words);
    - ``pred_img`` (3, H, W) in [0, 1] and the metainfo ``request`` (``{slot: word}`` the generation was asked
      for) and ``class_name`` / ``request_text`` (the requested class).

    Prompt consistency is measured by a deterministic analysis of the generated pixels (``describer``, an
    ``ImageLayoutDescriber`` built through ``TASK_UTILS``): each requested slot word counts as a hit when the
    analysis of the image gives the same word, and the shape (circle / square / triangle) is checked against the
    requested class when ``check_shape``.

    Args:
        describer: config of the pixel analysis.
        check_shape: also score the subject's shape against the requested class name.
        collect_device, prefix: as in :class:`mmengine.evaluator.BaseMetric`.

    Returns (``compute_metrics``): ``token_nll`` (nats/token), ``token_bpt`` (bits/token), ``joint_nll_bits`` (bits
    per image: prefix + image tokens, comparable between models with and without prefix), ``consistency`` (mean hit
    rate over all requested slots), ``consistency/<slot>`` and ``shape_acc``, each present when its inputs were.
    """
    default_prefix: Optional[str] = None

    def __init__(self, describer: Optional[dict] = None, check_shape: bool = True, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.describer = TASK_UTILS.build(describer or dict(type='ImageLayoutDescriber'))
        self.check_shape = check_shape

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            result: Dict[str, float] = {}
            if 'token_nll' in sample:
                result['token_nll'] = float(sample['token_nll'])
                result['prefix_nll'] = float(sample.get('prefix_nll', 0.0))
                result['num_tokens'] = float(sample.get('num_tokens', np.nan))
            if 'pred_img' in sample:
                img = tensor_to_image(sample['pred_img'])
                words = self.describer.describe(img)
                for slot, want in (sample.get('request') or {}).items():
                    if slot in SLOTS and want is not None:
                        result[f'hit/{slot}'] = float(words[slot] == want)
                wanted_shape = sample.get('class_name')
                if self.check_shape and wanted_shape in ('circle', 'square', 'triangle'):
                    result['shape_hit'] = float(self.describer.classify_shape(img) == wanted_shape)
            self.results.append(result)

    def compute_metrics(self, results: list) -> dict:
        values = defaultdict(list)
        for result in results:
            for key, value in result.items():
                values[key].append(value)
        metrics = {}
        if values['token_nll']:
            nll = float(np.mean(values['token_nll']))
            metrics.update(token_nll=nll, token_bpt=nll / math.log(2))
            if not np.isnan(values['num_tokens']).any():
                joint = [(t * n + p) / math.log(2) for t, n, p in zip(values['token_nll'], values['num_tokens'],
                                                                      values['prefix_nll'])]
                metrics['joint_nll_bits'] = float(np.mean(joint))
        hits = [v for key in values if key.startswith('hit/') for v in values[key]]
        if hits:
            metrics['consistency'] = float(np.mean(hits))
            for slot in SLOTS:
                if values[f'hit/{slot}']:
                    metrics[f'consistency/{slot}'] = float(np.mean(values[f'hit/{slot}']))
        if values['shape_hit']:
            metrics['shape_acc'] = float(np.mean(values['shape_hit']))
        return metrics
