"""The deterministic, weights-free backend: every capability of the adapter runs with it, on any machine."""
from typing import List, Optional, Sequence

import numpy as np
import torch

from panguvision.registry import MODELS
from .base import BaseLanguageBackend, GenerationResult, check_image
from .fallback_reasoning import reason
from .image_stats import describe_statistics, image_statistics
from .ngram import ByteNGramLM, hashed_ngram_embedding
from .thinking import ANSWER_MARKER, SLOW_TEMPLATE


@MODELS.register_module()
class FallbackLanguageBackend(BaseLanguageBackend):
    """No weights, no randomness: outputs depend only on the inputs and the arguments below.

    * ``generate``: template reasoning (:func:`~.fallback_reasoning.reason`): greetings, arithmetic (expressions
      and short word problems) solved step by step, otherwise a restatement of the request's key terms. When the
      system message asks for a final line starting with ``Answer:`` (slow mode) the reply lists the steps, then
      ``Answer: ...``; otherwise it is the answer alone. ``seed`` and sampling arguments are accepted and ignored.
      ``num_tokens`` counts characters; no log-probabilities are reported.
    * ``embed``: hashed character n-gram vectors (:func:`~.ngram.hashed_ngram_embedding`), ``(N, dim)``.
    * ``caption``: image statistics put into words (:mod:`~.image_stats`).
    * ``logprob``: a byte n-gram model (:class:`~.ngram.ByteNGramLM`), nats.

    Args:
        embed_dim: embedding size D.
        ngram_order: order of the byte language model.
    """

    capabilities = frozenset(('generate', 'embed', 'caption', 'logprob'))

    def __init__(self, embed_dim: int = 256, ngram_order: int = 4):
        self.embed_dim = embed_dim
        self.ngram_order = ngram_order
        self._lm = None

    @property
    def name(self) -> str:
        return f'FallbackLanguageBackend(d={self.embed_dim},n={self.ngram_order})'

    def generate(self,
                 prompts: Sequence[str],
                 max_new_tokens: int = 64,
                 seed: int = 0,
                 system: Optional[str] = None,
                 do_sample: bool = False,
                 temperature: float = 1.0,
                 prefix: str = '') -> List[GenerationResult]:
        slow = system is not None and ANSWER_MARKER in system
        cue = SLOW_TEMPLATE.replace('{prompt}', '')
        results = []
        for prompt in prompts:
            question = prompt[:-len(cue)] if cue and prompt.endswith(cue) else prompt
            steps, answer = reason(question)
            if prefix.rstrip().endswith(ANSWER_MARKER):
                text = ' ' + answer
            elif slow:
                lines = [f'{i}. {step}' for i, step in enumerate(steps, start=1)]
                text = '\n'.join(lines + [f'{ANSWER_MARKER} {answer}'])
            else:
                text = answer
            # Characters stand in for tokens: truncate like a token budget would.
            text = text[:max(0, max_new_tokens * 4)]
            results.append(GenerationResult(text=text, num_tokens=len(text)))
        return results

    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        return hashed_ngram_embedding(list(texts), dim=self.embed_dim)

    def caption(self, image: np.ndarray, max_new_tokens: int = 32) -> str:
        return describe_statistics(image_statistics(check_image(image)))

    def logprob(self, prompt: str, continuation: str) -> float:
        if self._lm is None:
            self._lm = ByteNGramLM(order=self.ngram_order)
        return self._lm.score(prompt, continuation)
