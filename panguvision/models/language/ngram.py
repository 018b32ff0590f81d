"""Character-level statistics of the fallback backend: a byte n-gram language model and hashed n-gram embeddings.

Hand-written because they must work without any weights or corpus download; both are small and exact.

* :class:`ByteNGramLM` is an interpolated Witten-Bell n-gram model over UTF-8 bytes, backed off to the uniform
  distribution over 256 bytes, so every byte string has a proper probability (``logprob <= 0`` and the
  probabilities of all continuations of a given length sum to one). Its counts start from a short built-in English
  text and adapt to the prompt and to the continuation as it is scored (each byte is counted after it is scored).
* :func:`hashed_ngram_embedding` maps text to a signed feature-hashing vector of character 3..5-grams and words
  (log-scaled counts), L2-normalised: texts that share many n-grams get a high cosine similarity.
"""
import math
import re
import zlib
from collections import Counter, defaultdict
from typing import Dict, Optional, Sequence

import torch

# A few sentences of plain English written for this module, so the model knows common letters and words.
SEED_TEXT = (
    'The picture shows a small house near a river, with green trees and a blue sky. The light is bright in the '
    'morning and dark at night. People walk along the road and a car drives past the old stone bridge. '
    'What is the answer to the question? Think about each step, then write the answer. The result of two plus '
    'three is five, and the result of four times six is twenty four. Hello, how are you today? I am fine, thank '
    'you. This image is sharp and clear, with fine detail in the texture of the wall and the leaves of the plants. '
    'A cat sits on the red chair by the window, and a dog sleeps on the floor. The capital of a country is the '
    'city where its government works. Numbers such as 1, 2, 3, 10 and 100 appear in many sentences. '
)


class ByteNGramLM:
    """Interpolated Witten-Bell byte n-gram model.

    ``P(b | h) = (C(h, b) + T(h) * P(b | h')) / (C(h) + T(h))`` where ``h'`` drops the oldest byte of the context
    ``h``, ``C`` are counts, ``T(h)`` the number of distinct bytes seen after ``h``; an unseen context passes
    ``P(b | h')`` through; the recursion ends at the uniform ``1/256``.

    Args:
        order: n (the context holds ``order - 1`` bytes).
        seed_text: text counted at construction.
    """

    def __init__(self, order: int = 4, seed_text: str = SEED_TEXT):
        if order < 1:
            raise ValueError(f'ByteNGramLM: order must be >= 1, got {order}')
        self.order = order
        self.counts: Dict[bytes, Counter] = defaultdict(Counter)
        self.update(seed_text.encode('utf-8'))

    def copy(self) -> 'ByteNGramLM':
        new = ByteNGramLM.__new__(ByteNGramLM)
        new.order = self.order
        new.counts = defaultdict(Counter, {h: Counter(c) for h, c in self.counts.items()})
        return new

    def update(self, data: bytes, history: bytes = b'') -> None:
        """Count every byte of ``data`` in all its contexts (``history`` precedes ``data``)."""
        stream = history + data
        for i in range(len(history), len(stream)):
            for n in range(self.order):
                if i - n < 0:
                    break
                self.counts[stream[i - n:i]][stream[i]] += 1

    def prob(self, byte: int, context: bytes) -> float:
        """``P(byte | context)``; only the last ``order - 1`` bytes of ``context`` matter."""
        context = context[-(self.order - 1):] if self.order > 1 else b''
        p = 1.0 / 256.0
        for n in range(0, len(context) + 1):
            h = context[len(context) - n:]
            counter = self.counts.get(h)
            if not counter:
                continue
            total, types = sum(counter.values()), len(counter)
            p = (counter.get(byte, 0) + types * p) / (total + types)
        return p

    def score(self, prompt: str, continuation: str, adapt: bool = True) -> float:
        """Sum of ``log P`` (nats) of ``continuation``'s bytes after ``prompt``.

        With ``adapt`` the prompt is counted first and each continuation byte after it is scored (on a copy: the
        model itself does not change).
        """
        model = self.copy() if adapt else self
        history = prompt.encode('utf-8')
        if adapt:
            model.update(history)
        total = 0.0
        for byte in continuation.encode('utf-8'):
            total += math.log(model.prob(byte, history))
            if adapt:
                model.update(bytes([byte]), history[-(self.order - 1):] if self.order > 1 else b'')
            history += bytes([byte])
        return total


def _hash(feature: str) -> int:
    return zlib.crc32(feature.encode('utf-8'))


def hashed_ngram_embedding(texts: Sequence[str],
                           dim: int = 256,
                           ngram_range=(3, 5),
                           word_weight: float = 1.0,
                           lowercase: bool = True,
                           out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``(N, dim)`` L2-normalised float32 vectors of character n-grams and words (signed feature hashing).

    Each text is padded with one space on each side; a feature's bucket is ``crc32 % dim`` and its sign the next
    bit; weights are ``1 + log(count)`` (times ``word_weight`` for words). Every row has unit norm (an empty text
    gets one fixed feature).
    """
    vectors = torch.zeros(len(texts), dim) if out is None else out
    lo, hi = ngram_range
    for row, text in enumerate(texts):
        text = text.lower() if lowercase else text
        padded = ' ' + re.sub(r'\s+', ' ', text.strip()) + ' '
        feats = Counter()
        for n in range(lo, hi + 1):
            for i in range(len(padded) - n + 1):
                feats['c:' + padded[i:i + n]] += 1
        for word in re.findall(r'\w+', text):
            feats['w:' + word] += 1
        if not feats:  # empty or blank text: a fixed feature keeps the row a unit vector
            feats['empty'] = 1
        for feat, count in feats.items():
            h = _hash(feat)
            sign = 1.0 if (h // dim) % 2 == 0 else -1.0
            weight = (1.0 + math.log(count)) * (word_weight if feat.startswith('w:') else 1.0)
            vectors[row, h % dim] += sign * weight
    return torch.nn.functional.normalize(vectors, p=2, dim=-1)
