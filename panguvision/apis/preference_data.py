"""DSPO preference data: N SR candidates per LQ image, IQA scores, instance masks, per-instance best / worst.

The pipeline of DSPO (facts in docs/ANCHORS.md; no public code): sample ``N`` (= 4) outputs per LQ image from any SR
model of the suite, score them with IQA metrics (and pre-filter), segment instances with segment-anything's automatic
mask generator, let a *judge* pick the best and worst candidate inside every instance, weight instances by area
``w_m = |s_m| / sum_k |s_k|``, and store everything as one JSON line per LQ image.

Record format (``preferences.jsonl``; paths relative to the file's folder)::

    {"lq": "lq/0001.png", "gt": "gt/0001.png" | null,
     "candidates": ["candidates/0001_0.png", ...],            # N SR outputs, uint8 PNG
     "scores": {"<metric>": [s_0, ..., s_{N-1}]},              # whole-image IQA scores
     "kept": [0, 1, 3],                                        # candidates surviving the IQA pre-filter
     "instances": [{"rle": {"size": [H, W], "counts": "..."},  # COCO RLE of the SAM mask (pycocotools)
                    "bbox": [x, y, w, h], "area": 1234, "weight": 0.12,
                    "winner": 1, "loser": 3, "margin": 0.8}],  # candidate indices; judge's score gap
     "judge": "MetricJudge(sharpness)", "feedback": "text" | null}

Judges (``judge(candidates, mask, context) -> (winner, loser, margin)``):
:class:`MetricJudge` (a masked full-reference metric against GT when GT exists, else a masked no-reference score),
:class:`HumanLabelJudge` (labels read from a JSONL file), :class:`LanguageAdapterJudge` (the shared language adapter's
VLM backend scores a yes/no question about each candidate's crop).
"""
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from panguvision.datasets.preference_dataset import read_preference_dataset
from panguvision.utils.checkpoint import atomic_write_bytes
from panguvision.utils.image_io import write_image

__all__ = ['MetricJudge', 'HumanLabelJudge', 'LanguageAdapterJudge', 'build_preference_record',
           'write_preference_dataset', 'read_preference_dataset', 'masked_psnr', 'masked_sharpness']

Candidate = np.ndarray  # (H, W, 3) uint8 RGB


# ------------------------------------------------------------------------------------------------ masked scores
def masked_psnr(candidate: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> float:
    """PSNR (dB, 255 peak) over the pixels of ``mask`` (all channels); higher is better."""
    diff = candidate.astype(np.float64)[mask] - reference.astype(np.float64)[mask]
    mse = float(np.mean(diff ** 2)) if diff.size else 0.0
    return float('inf') if mse == 0 else 10.0 * np.log10(255.0 ** 2 / mse)


def masked_sharpness(candidate: np.ndarray, reference: Optional[np.ndarray], mask: np.ndarray) -> float:
    """No-reference: variance of the Laplacian of the luma inside ``mask`` (a blur measure, higher = sharper)."""
    import cv2
    gray = cv2.cvtColor(candidate, cv2.COLOR_RGB2GRAY).astype(np.float64)
    lap = cv2.Laplacian(gray, cv2.CV_64F, ksize=3)
    values = lap[mask]
    return float(values.var()) if values.size else 0.0


MASKED_METRICS = {'psnr': masked_psnr, 'sharpness': masked_sharpness}


class MetricJudge:
    """Best / worst candidate of an instance by a masked metric (higher is better).

    ``metric='psnr'`` needs ground truth (``context['gt']``); ``'sharpness'`` needs none. ``auto`` uses PSNR when GT
    is given and sharpness otherwise. Any ``callable(candidate, reference_or_None, mask) -> float`` also works.
    """

    def __init__(self, metric='auto') -> None:
        if not callable(metric) and metric not in ('auto', *MASKED_METRICS):
            raise KeyError(f'metric must be a callable or one of {("auto", *MASKED_METRICS)}, got {metric!r}')
        self.metric = metric

    def __repr__(self) -> str:
        return f'MetricJudge({getattr(self.metric, "__name__", self.metric)})'

    def __call__(self, candidates: Sequence[Candidate], mask: np.ndarray, context: dict) -> Tuple[int, int, float]:
        gt = context.get('gt')
        metric = self.metric
        if metric == 'auto':
            metric = 'psnr' if gt is not None else 'sharpness'
        if metric == 'psnr' and gt is None:
            raise ValueError(f'{context.get("name", "image")}: MetricJudge(psnr) needs ground truth')
        fn = MASKED_METRICS[metric] if isinstance(metric, str) else metric
        scores = np.array([fn(c, gt, mask) for c in candidates], dtype=np.float64)
        scores[np.isinf(scores)] = np.finfo(np.float64).max  # a perfect match is the best, keep it comparable
        return int(np.argmax(scores)), int(np.argmin(scores)), float(scores.max() - scores.min())


class HumanLabelJudge:
    """Preferences read from a JSONL file of ``{"image": NAME, "instance": m, "winner": i, "loser": j}`` lines."""

    def __init__(self, labels_file: str) -> None:
        self.labels: Dict[Tuple[str, int], Tuple[int, int]] = {}
        with open(labels_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    key = (str(row['image']), int(row['instance']))
                    self.labels[key] = (int(row['winner']), int(row['loser']))
                except (ValueError, KeyError, TypeError) as err:
                    raise ValueError(f'{labels_file}:{lineno}: expected {{"image", "instance", "winner", "loser"}}, '
                                     f'got {line.strip()[:80]!r} ({err})') from None

    def __repr__(self) -> str:
        return 'HumanLabelJudge'

    def __call__(self, candidates, mask, context) -> Tuple[int, int, float]:
        key = (context['name'], context['instance'])
        if key not in self.labels:
            raise KeyError(f'no human label for image {key[0]!r} instance {key[1]}')
        winner, loser = self.labels[key]
        if not (0 <= winner < len(candidates) and 0 <= loser < len(candidates)):
            raise ValueError(f'label {key}: candidates are 0..{len(candidates) - 1}, got {winner}/{loser}')
        return winner, loser, 1.0


class LanguageAdapterJudge:
    """Asks the shared language adapter (a VLM backend, or any backend with ``caption`` + ``logprob``) whether each
    candidate's crop looks natural and detailed; the score is ``logprob(' yes') - logprob(' no')`` of that answer
    given the crop's caption."""

    QUESTION = ('Image region description: {caption}\nQuestion: does this region look sharp, natural and free of '
                'artefacts? Answer:')

    def __init__(self, adapter) -> None:
        self.adapter = adapter

    def __repr__(self) -> str:
        return f'LanguageAdapterJudge({type(self.adapter).__name__})'

    def __call__(self, candidates, mask, context) -> Tuple[int, int, float]:
        rows, cols = np.nonzero(mask)
        top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        scores = []
        for candidate in candidates:
            prompt = self.QUESTION.format(caption=self.adapter.caption(candidate[top:bottom, left:right]))
            scores.append(self.adapter.logprob(prompt, ' yes') - self.adapter.logprob(prompt, ' no'))
        scores = np.asarray(scores)
        return int(np.argmax(scores)), int(np.argmin(scores)), float(scores.max() - scores.min())


# ----------------------------------------------------------------------------------------------------- builder
def _generate_masks(mask_generator, image: np.ndarray) -> List[dict]:
    generate = getattr(mask_generator, 'generate', None) or mask_generator
    return list(generate(image))


def _rle(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_utils
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {'size': [int(s) for s in rle['size']], 'counts': rle['counts'].decode('ascii')}


def build_preference_record(name: str,
                            lq: np.ndarray,
                            candidates: Sequence[Candidate],
                            judge: Callable,
                            mask_generator,
                            gt: Optional[np.ndarray] = None,
                            iqa_metrics: Optional[Dict[str, Callable]] = None,
                            prefilter: Optional[Tuple[str, float]] = None,
                            min_area: int = 64,
                            max_instances: int = 32,
                            mask_image: str = 'best') -> dict:
    """One LQ image's record (without file paths; :func:`write_preference_dataset` adds them).

    Args:
        candidates: N SR outputs ``(H, W, 3)`` uint8, all the same size.
        iqa_metrics: name -> ``fn(candidate, gt_or_None) -> float`` whole-image scores (higher is better).
        prefilter: ``(metric, threshold)``: drop candidates whose score is below the threshold (at least two stay).
        mask_image: segment ``'best'`` (the candidate with the highest first IQA score, else the first) or ``'mean'``
            (the average of the kept candidates).
    """
    if len(candidates) < 2:
        raise ValueError(f'{name}: DSPO needs at least 2 candidates per image, got {len(candidates)}')
    shapes = {c.shape for c in candidates}
    if len(shapes) != 1:
        raise ValueError(f'{name}: candidates differ in shape: {sorted(shapes)}')
    if all(np.array_equal(candidates[0], c) for c in candidates[1:]):
        raise ValueError(f'{name}: all {len(candidates)} candidates are identical, nothing to prefer (use a '
                         'stochastic SR model or several models)')
    scores = {k: [float(fn(c, gt)) for c in candidates] for k, fn in (iqa_metrics or {}).items()}
    kept = list(range(len(candidates)))
    if prefilter is not None:
        metric, threshold = prefilter
        passing = [i for i in kept if scores[metric][i] >= threshold]
        kept = passing if len(passing) >= 2 else sorted(kept, key=lambda i: -scores[metric][i])[:2]
    if mask_image == 'best' and scores:
        first = scores[next(iter(scores))]
        seg_src = candidates[max(kept, key=lambda i: first[i])]
    elif mask_image == 'mean':
        seg_src = np.mean([candidates[i] for i in kept], axis=0).round().astype(np.uint8)
    else:
        seg_src = candidates[kept[0]]
    masks = [m for m in _generate_masks(mask_generator, seg_src) if int(m['segmentation'].sum()) >= min_area]
    masks = sorted(masks, key=lambda m: -int(m['segmentation'].sum()))[:max_instances]
    areas = np.array([int(m['segmentation'].sum()) for m in masks], dtype=np.float64)
    weights = areas / areas.sum() if len(masks) else areas
    kept_candidates = [candidates[i] for i in kept]
    instances = []
    for m, (record, weight) in enumerate(zip(masks, weights)):
        seg = record['segmentation'].astype(bool)
        winner, loser, margin = judge(kept_candidates, seg, dict(name=name, instance=m, gt=gt, lq=lq))
        rows, cols = np.nonzero(seg)
        instances.append(dict(rle=_rle(seg), bbox=[int(cols.min()), int(rows.min()), int(cols.max() - cols.min() + 1),
                                                   int(rows.max() - rows.min() + 1)],
                              area=int(areas[m]), weight=float(weight), winner=kept[winner], loser=kept[loser],
                              margin=margin))
    return dict(scores=scores, kept=kept, instances=instances, judge=repr(judge), feedback=None)


def write_preference_dataset(out_dir: str,
                             items: Sequence[dict],
                             sample_fn: Callable[[np.ndarray, int], np.ndarray],
                             num_samples: int = 4,
                             **record_kwargs) -> str:
    """Build and write ``out_dir/preferences.jsonl`` with its PNGs.

    Args:
        items: dicts with ``name``, ``lq`` (uint8 RGB) and optionally ``gt`` and ``feedback`` (user text describing
            hallucinations, used as the negative prompt in DSPO training).
        sample_fn: ``(lq, seed) -> SR output`` (uint8 RGB); called with seeds ``0..num_samples-1`` (stochastic SR
            models differ by seed; deterministic ones can wrap several models or settings).
        record_kwargs: passed to :func:`build_preference_record` (judge, mask_generator, iqa_metrics, ...).

    Returns:
        The JSONL path (written atomically once every record is built).
    """
    lines = []
    for item in items:
        name = item['name']
        candidates = [sample_fn(item['lq'], seed) for seed in range(num_samples)]
        record = build_preference_record(name, item['lq'], candidates, gt=item.get('gt'), **record_kwargs)
        record['lq'] = osp.join('lq', f'{name}.png')
        write_image(osp.join(out_dir, record['lq']), item['lq'])
        record['gt'] = None
        if item.get('gt') is not None:
            record['gt'] = osp.join('gt', f'{name}.png')
            write_image(osp.join(out_dir, record['gt']), item['gt'])
        record['candidates'] = []
        for i, candidate in enumerate(candidates):
            path = osp.join('candidates', f'{name}_{i}.png')
            write_image(osp.join(out_dir, path), candidate)
            record['candidates'].append(path)
        record['feedback'] = item.get('feedback')
        lines.append(json.dumps(dict(name=name, **record), sort_keys=True))
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, 'preferences.jsonl')
    atomic_write_bytes(('\n'.join(lines) + '\n').encode('utf-8'), path)
    return path
