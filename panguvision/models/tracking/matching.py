"""One-to-one assignment of detections to tracks (shared by the IoU baseline and Walker's tracker)."""
from typing import Tuple

import numpy as np
import torch

__all__ = ['assign']


def assign(score: torch.Tensor, min_score: float, method: str = 'hungarian') -> Tuple[np.ndarray, np.ndarray]:
    """Match rows (detections) to columns (tracks) maximising ``score`` (R, C), keeping pairs with score >= min_score.

    ``'hungarian'`` solves the linear assignment with scipy (pairs under ``min_score`` are forbidden, not merely
    dropped afterwards, so they never displace a valid pair); ``'greedy'`` takes the best remaining pair first.

    Returns:
        ``(rows, cols)``: int64 arrays of matched indices, same length.
    """
    s = score.detach().float().cpu().numpy()
    if s.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    valid = s >= min_score
    if method == 'hungarian':
        from scipy.optimize import linear_sum_assignment
        cost = np.where(valid, -s, 1e6)  # forbidden pairs cost more than any valid assignment gains
        rows, cols = linear_sum_assignment(cost)
        keep = valid[rows, cols]
        return rows[keep].astype(np.int64), cols[keep].astype(np.int64)
    if method == 'greedy':
        rows, cols = [], []
        s = np.where(valid, s, -np.inf)
        for flat in np.argsort(-s, axis=None):
            r, c = divmod(int(flat), s.shape[1])
            if not np.isfinite(s[r, c]):
                break
            if r in rows or c in cols:
                continue
            rows.append(r)
            cols.append(c)
        return np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    raise ValueError(f"assign: method must be 'hungarian' or 'greedy', got {method!r}")
