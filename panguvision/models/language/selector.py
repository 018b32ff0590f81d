"""Complexity-aware choice between fast and slow thinking (the ``auto`` mode of the adapter).

Pangu Embedded switches between a direct answer and step-by-step reasoning by the query's complexity. Here the
complexity is a weighted sum of surface features of the query (hand-written: no installed library scores query
complexity), and, for queries in a grey band, the uncertainty of the fast answer as the backend reports it (mean
next-token entropy, or the negative mean log-probability of the generated tokens, in nats).
"""
import re
from dataclasses import dataclass, field
from typing import Dict, Optional

from panguvision.registry import MODELS

REASONING_KEYWORDS = (
    'why', 'how many', 'how much', 'how long', 'how far', 'explain', 'prove', 'calculate', 'compute', 'solve',
    'step', 'derive', 'compare', 'total', 'remaining', 'left', 'average', 'percent', 'ratio', 'difference', 'sum',
    'product', 'estimate', 'if', 'then', 'therefore', 'must', 'probability', 'each', 'per')
OPERATOR_WORDS = ('plus', 'minus', 'times', 'divided', 'multiplied', 'squared', 'half', 'twice', 'double', 'triple')
CLAUSE_WORDS = ('and then', 'then', 'but', 'because', 'after', 'before', 'while', 'when', 'so that', 'otherwise')

_NUMBER_RE = re.compile(r'\d+(?:[.,]\d+)?')
_OPERATOR_RE = re.compile(r'(?<=[\d\s)])[-+*/^%=×÷](?=[\s\d(])')
_WORD_RE = re.compile(r"[a-z']+")


def query_features(prompt: str) -> Dict[str, int]:
    """Surface features of a query: words, clauses, questions, numbers, operators, reasoning keywords (counts)."""
    text = prompt.lower()
    words = _WORD_RE.findall(text)
    joined = ' ' + ' '.join(words) + ' '

    def count_phrases(phrases):
        return sum(joined.count(f' {p} ') for p in phrases)

    clauses = len(re.findall(r'[,;:]', text)) + count_phrases(CLAUSE_WORDS)
    return dict(
        words=len(text.split()),
        clauses=clauses,
        questions=text.count('?'),
        numbers=len(_NUMBER_RE.findall(text)),
        operators=len(_OPERATOR_RE.findall(text)) + count_phrases(OPERATOR_WORDS),
        keywords=count_phrases(REASONING_KEYWORDS),
    )


@dataclass
class ModeDecision:
    """What the selector decided and why: ``mode`` ('fast' | 'slow'), the complexity ``score``, the ``features``,
    the fast answer's ``uncertainty`` (nats, when it was consulted) and a one-line ``reason``."""
    mode: str
    score: float
    features: Dict[str, int] = field(default_factory=dict)
    uncertainty: Optional[float] = None
    reason: str = ''


@MODELS.register_module()
class ComplexityModeSelector:
    """Pick ``fast`` or ``slow`` for a query.

    ``score = sum_k weights[k] * min(features[k], caps[k])`` over :func:`query_features`, with one free question and
    one free clause (so a single plain question scores 0 on those). ``score >= slow_threshold`` -> slow;
    ``score < fast_threshold`` -> fast; in between, the fast answer's uncertainty decides when the backend reports one
    and ``use_uncertainty`` (``> uncertainty_threshold`` nats -> slow), otherwise the midpoint of the two thresholds.

    Args:
        weights: per-feature weights (defaults below).
        caps: per-feature caps on the counts.
        fast_threshold: scores below it are fast.
        slow_threshold: scores at or above it are slow.
        use_uncertainty: consult the fast answer's uncertainty in the grey band.
        uncertainty_threshold: nats of mean entropy (or negative mean log-probability) above which the fast answer
            is deemed unsure.
    """

    DEFAULT_WEIGHTS = dict(words=0.03, clauses=0.5, questions=0.75, numbers=0.5, operators=0.75, keywords=0.75)
    DEFAULT_CAPS = dict(words=60, clauses=4, questions=3, numbers=6, operators=5, keywords=4)

    def __init__(self,
                 weights: Optional[Dict[str, float]] = None,
                 caps: Optional[Dict[str, int]] = None,
                 fast_threshold: float = 1.0,
                 slow_threshold: float = 2.5,
                 use_uncertainty: bool = True,
                 uncertainty_threshold: float = 2.0):
        self.weights = dict(self.DEFAULT_WEIGHTS, **(weights or {}))
        self.caps = dict(self.DEFAULT_CAPS, **(caps or {}))
        unknown = set(self.weights) - set(self.DEFAULT_WEIGHTS) | set(self.caps) - set(self.DEFAULT_CAPS)
        if unknown:
            raise KeyError(f'ComplexityModeSelector: unknown feature(s) {sorted(unknown)}; expected a subset of '
                           f'{sorted(self.DEFAULT_WEIGHTS)}')
        if not fast_threshold <= slow_threshold:
            raise ValueError(f'ComplexityModeSelector: fast_threshold ({fast_threshold}) must be <= slow_threshold '
                             f'({slow_threshold})')
        self.fast_threshold = fast_threshold
        self.slow_threshold = slow_threshold
        self.use_uncertainty = use_uncertainty
        self.uncertainty_threshold = uncertainty_threshold

    def score(self, prompt: str) -> ModeDecision:
        """Score a query; the returned decision's ``mode`` is provisional ('fast', 'slow' or 'undecided')."""
        feats = query_features(prompt)
        counted = dict(feats, questions=max(feats['questions'] - 1, 0), clauses=max(feats['clauses'] - 1, 0))
        score = sum(self.weights[k] * min(counted[k], self.caps[k]) for k in self.weights)
        if score >= self.slow_threshold:
            return ModeDecision('slow', score, feats, reason=f'complexity {score:.2f} >= {self.slow_threshold}')
        if score < self.fast_threshold:
            return ModeDecision('fast', score, feats, reason=f'complexity {score:.2f} < {self.fast_threshold}')
        return ModeDecision('undecided', score, feats, reason='complexity in the grey band')

    def resolve(self, decision: ModeDecision, uncertainty: Optional[float] = None) -> ModeDecision:
        """Settle an 'undecided' decision with the fast answer's uncertainty (nats) or the thresholds' midpoint."""
        if decision.mode != 'undecided':
            return decision
        if self.use_uncertainty and uncertainty is not None:
            mode = 'slow' if uncertainty > self.uncertainty_threshold else 'fast'
            sign = '>' if mode == 'slow' else '<='
            return ModeDecision(mode, decision.score, decision.features, uncertainty,
                                f'fast answer uncertainty {uncertainty:.2f} {sign} {self.uncertainty_threshold} nats')
        mid = 0.5 * (self.fast_threshold + self.slow_threshold)
        mode = 'slow' if decision.score >= mid else 'fast'
        return ModeDecision(mode, decision.score, decision.features, None,
                            f'complexity {decision.score:.2f} {">=" if mode == "slow" else "<"} midpoint {mid}')
